# QEMU mps2-an386 (Cortex-M4F, LAN9118): see mps2.h for the memory map and the devices.
PORT_SRC := port/qemu-mps2/startup.c port/qemu-mps2/main.c port/qemu-mps2/sys.c port/qemu-mps2/flash.c \
  port/qemu-mps2/lan9118.c
PORT_CFLAGS := -Iport/lwip
PORT_NET := lwip

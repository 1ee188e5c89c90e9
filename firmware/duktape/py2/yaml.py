# A stand-in for PyYAML under Python 2, for Duktape's tools/configure.py (Python 2 only; Debian has
# no python-yaml for Python 2). Parsing and dumping are handed to Debian's Python 3 with its
# python3-yaml (`python3 -I`, so no user site-packages). Values cross the boundary as Python literals
# that both versions read with ast.literal_eval. As in PyYAML on Python 2, ASCII strings come back as
# `str` and others as `unicode`, so configure.py sees exactly what the real module would give it.
import ast
import os
import subprocess

PYTHON3 = os.environ.get('TYPEBOOT_PYTHON3', '/usr/bin/python3')

_PY3 = r'''
import ast, sys, yaml
def lit(v):
    if isinstance(v, bool) or v is None: return repr(v)
    if isinstance(v, int): return repr(v)
    if isinstance(v, float):
        if v != v or v in (float('inf'), float('-inf')): raise ValueError('non-finite float in YAML')
        return repr(v)
    if isinstance(v, str):
        try: v.encode('ascii'); return repr(v)
        except UnicodeEncodeError: return 'u' + ascii(v)
    if isinstance(v, bytes): return 'b' + repr(v)[1:]
    if isinstance(v, (list, tuple)): return '[' + ', '.join(lit(x) for x in v) + ']'
    if isinstance(v, dict): return '{' + ', '.join(lit(k) + ': ' + lit(x) for k, x in v.items()) + '}'
    raise TypeError('unsupported YAML value: %r' % type(v))
mode = sys.argv[1]
data = sys.stdin.buffer.read().decode('utf-8')
if mode == 'load':
    sys.stdout.write(lit(yaml.safe_load(data)))
else:
    kw = ast.literal_eval(sys.argv[2])
    sys.stdout.write(yaml.safe_dump(ast.literal_eval(data), **kw))
'''


def _lit2(v):
    # Python 2 value -> a literal Python 3 reads (no 123L, unicode as u'...').
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, (int, long)):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return repr(v.decode('utf-8'))[1:] if any(ord(c) > 127 for c in v) else repr(v)
    if isinstance(v, unicode):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return '[' + ', '.join(_lit2(x) for x in v) + ']'
    if isinstance(v, dict):
        return '{' + ', '.join(_lit2(k) + ': ' + _lit2(x) for k, x in v.items()) + '}'
    raise TypeError('unsupported value: %r' % type(v))


def _py3(args, data):
    p = subprocess.Popen([PYTHON3, '-I', '-c', _PY3] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out, _ = p.communicate(data)
    if p.returncode != 0:
        raise RuntimeError('python3 yaml helper failed (exit %d)' % p.returncode)
    return out


def safe_load(stream):
    data = stream.read() if hasattr(stream, 'read') else stream
    if isinstance(data, unicode):
        data = data.encode('utf-8')
    return ast.literal_eval(_py3(['load'], data))

load = safe_load


def safe_dump(doc, stream=None, **kw):
    out = _py3(['dump', _lit2(kw)], _lit2(doc)).decode('utf-8')
    try:
        out = out.encode('ascii')
    except UnicodeEncodeError:
        pass
    if stream is None:
        return out
    stream.write(out)

dump = safe_dump

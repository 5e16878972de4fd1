"""Run one seed program, unchanged, against the broker at AMQP_HOST:AMQP_PORT.

Usage: /usr/bin/python3 test/interop/run_seed.py <script.py> [args...]

The seed programs hardcode 'localhost' / '127.0.0.1' and port 5672. Instead of editing them, this
wrapper points the client libraries at the broker under test before running the script:

- pika 1.x: ConnectionParameters stores host/port through validating property setters and falls
  back to Parameters.DEFAULT_HOST / DEFAULT_PORT when they are not given. We change those defaults
  and, after ConnectionParameters.__init__, redirect an explicit local host and/or port 5672.
- py-amqp: Connection keeps the "host[:port]" string in self.host and only parses it (with
  amqp.transport.to_host_port) when it connects. We rewrite that string after __init__.

Only the local address (localhost, 127.0.0.1, ::1) and the standard port 5672 are redirected, so a
program that deliberately talks to somewhere else is left alone.

Environment: AMQP_PORT (default 5672), AMQP_HOST (default 127.0.0.1).
"""

import os
import runpy
import sys

HOST = os.environ.get('AMQP_HOST') or '127.0.0.1'
PORT = int(os.environ.get('AMQP_PORT') or '5672')
STANDARD_PORT = 5672
LOCAL_HOSTS = {'localhost', 'localhost.localdomain', '127.0.0.1', '::1', ''}


def _is_local(host):
    return host is None or str(host).strip().lower() in LOCAL_HOSTS


def _patch_pika():
    try:
        import pika.connection
    except ImportError:
        return
    params = pika.connection.Parameters
    params.DEFAULT_HOST = HOST
    params.DEFAULT_PORT = PORT
    conn_params = pika.connection.ConnectionParameters
    original_init = conn_params.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if self.port == STANDARD_PORT and _is_local(self.host):
            self.port = PORT
        if _is_local(self.host):
            self.host = HOST

    __init__.__wrapped__ = original_init
    conn_params.__init__ = __init__


def _patch_amqp():
    try:
        import amqp
        import amqp.transport
    except ImportError:
        return
    original_init = amqp.Connection.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        # py-amqplib era programs write things like host="localhost:5672 " (note the blank).
        host, port = amqp.transport.to_host_port(str(self.host).strip())
        if _is_local(host) and port == STANDARD_PORT:
            self.host = '[%s]:%d' % (HOST, PORT) if ':' in HOST else '%s:%d' % (HOST, PORT)

    __init__.__wrapped__ = original_init
    amqp.Connection.__init__ = __init__


def main():
    if len(sys.argv) < 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    # Lines reach the test as soon as they are printed, even through a pipe.
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    _patch_pika()
    _patch_amqp()
    script = os.path.abspath(sys.argv[1])
    # Look like `python script.py args...` to the script.
    sys.argv = [script] + sys.argv[2:]
    sys.path[0] = os.path.dirname(script)
    runpy.run_path(script, run_name='__main__')


if __name__ == '__main__':
    main()

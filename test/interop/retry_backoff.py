"""Retry with growing backoff through dead-lettering, as a pika application builds it.

Usage: /usr/bin/python3 test/interop/retry_backoff.py <prefix>
Environment: AMQP_HOST (default 127.0.0.1), AMQP_PORT (default 5672).

A worker fails every delivery and rejects it (requeue=False). The work queue dead-letters into a retry
exchange with the message's own routing key, which names the attempt:

    publish --try-1--> [work] --reject--> retry-x --try-1--> [retry-1] (TTL 150 ms) --dlrk try-2-->
    work-x --try-2--> [work] --reject--> retry-x --try-2--> [retry-2] (TTL 400 ms) --dlrk try-3-->
    work-x --try-3--> [work] --reject--> retry-x --try-3--> [parking]

so the wait grows per attempt and the third failure parks the message. A per-message expiration
cannot carry the backoff: dead-lettering removes the `expiration` property (and records it in x-death
as original-expiration), so each delay level is a retry queue with its own x-message-ttl. The
original publish does carry an expiration (a 60 s deadline) to check that it is recorded.

Prints one JSON object per line: {"event": "attempt", ...} for every delivery to the worker, then
{"event": "parked", ...} for the message found in the parking queue, then {"event": "done"}.
Exits 0 when the message was parked, 2 when that did not happen in time. Deletes what it declared.
"""

import datetime
import json
import os
import sys
import time

import pika

HOST = os.environ.get('AMQP_HOST') or '127.0.0.1'
PORT = int(os.environ.get('AMQP_PORT') or '5672')
DEADLINE_S = 20
RETRY_TTLS_MS = [150, 400]


def jsonable(value):
    if isinstance(value, datetime.datetime):
        return int(value.replace(tzinfo=datetime.timezone.utc).timestamp())
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def deaths_of(properties):
    headers = properties.headers or {}
    return [jsonable(d) for d in headers.get('x-death', [])]


def attempt_number(properties, work_queue):
    """1 + how often this message was rejected from the work queue before (from x-death)."""
    for death in deaths_of(properties):
        if death.get('queue') == work_queue and death.get('reason') == 'rejected':
            return death.get('count', 0) + 1
    return 1


def emit(**fields):
    print(json.dumps(fields, sort_keys=True), flush=True)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        return 64
    prefix = sys.argv[1]
    names = {
        'work_x': prefix + '.work-x',
        'retry_x': prefix + '.retry-x',
        'work': prefix + '.work',
        'retry-1': prefix + '.retry-1',
        'retry-2': prefix + '.retry-2',
        'parking': prefix + '.parking',
    }
    connection = pika.BlockingConnection(pika.ConnectionParameters(host=HOST, port=PORT))
    channel = connection.channel()
    try:
        channel.exchange_declare(names['work_x'], 'direct')
        channel.exchange_declare(names['retry_x'], 'direct')
        channel.queue_declare(names['work'], arguments={'x-dead-letter-exchange': names['retry_x']})
        for key in ('try-1', 'try-2', 'try-3'):
            channel.queue_bind(names['work'], names['work_x'], routing_key=key)
        for level, ttl in enumerate(RETRY_TTLS_MS, start=1):
            queue = names['retry-%d' % level]
            channel.queue_declare(queue, arguments={
                'x-message-ttl': ttl,
                'x-dead-letter-exchange': names['work_x'],
                'x-dead-letter-routing-key': 'try-%d' % (level + 1),
            })
            channel.queue_bind(queue, names['retry_x'], routing_key='try-%d' % level)
        channel.queue_declare(names['parking'])
        channel.queue_bind(names['parking'], names['retry_x'], routing_key='try-3')

        channel.confirm_delivery()
        channel.basic_publish(
            names['work_x'], 'try-1', b'job-1',
            pika.BasicProperties(message_id='job-1', expiration='60000', headers={'app': 'retry-demo'}),
        )

        last = None
        deadline = time.monotonic() + DEADLINE_S
        for method, properties, body in channel.consume(names['work'], inactivity_timeout=0.05):
            if method is not None:
                now = time.monotonic()
                emit(event='attempt',
                     attempt=attempt_number(properties, names['work']),
                     body=body.decode(),
                     routing_key=method.routing_key,
                     exchange=method.exchange,
                     redelivered=method.redelivered,
                     expiration=properties.expiration,
                     deaths=deaths_of(properties),
                     since_previous_ms=None if last is None else round((now - last) * 1000))
                last = now
                channel.basic_reject(method.delivery_tag, requeue=False)
            parked = channel.basic_get(names['parking'], auto_ack=True)
            if parked[0] is not None:
                p_method, p_properties, p_body = parked
                headers = p_properties.headers or {}
                emit(event='parked',
                     body=p_body.decode(),
                     routing_key=p_method.routing_key,
                     exchange=p_method.exchange,
                     message_id=p_properties.message_id,
                     expiration=p_properties.expiration,
                     app=jsonable(headers.get('app')),
                     first_death=[jsonable(headers.get('x-first-death-' + k))
                                  for k in ('queue', 'reason', 'exchange')],
                     deaths=deaths_of(p_properties))
                channel.cancel()
                emit(event='done')
                return 0
            if time.monotonic() > deadline:
                channel.cancel()
                emit(event='timeout')
                return 2
        return 2
    finally:
        cleanup = connection.channel() if channel.is_closed else channel
        for key in ('work', 'retry-1', 'retry-2', 'parking'):
            cleanup.queue_delete(names[key])
        for key in ('work_x', 'retry_x'):
            cleanup.exchange_delete(names[key])
        connection.close()


if __name__ == '__main__':
    sys.exit(main())

"""Client sessions with pika (Debian's python3-pika) whose bytes become fuzz seeds (record-corpus.ts).

Usage: pika_session.py PORT. Each scenario opens its own connection, so each is recorded as one
stream: publish and consume with acks, publisher confirms with mandatory returns, queue arguments,
exchange-to-exchange and headers bindings, basic.get, reject and nack, transactions.
"""
import decimal
import sys

import pika

PORT = int(sys.argv[1])


def connect():
    params = pika.ConnectionParameters(
        host="127.0.0.1",
        port=PORT,
        credentials=pika.PlainCredentials("guest", "guest"),
        heartbeat=0,
        client_properties={"connection_name": "fuzz-seed", "nested": {"a": [1, decimal.Decimal("2.5"), "x", True]}},
    )
    return pika.BlockingConnection(params)


def props(**extra):
    base = dict(
        content_type="text/plain",
        content_encoding="utf-8",
        headers={"int": 7, "str": "s", "list": [1, "two"], "map": {"k": False}, "big": 2**40},
        delivery_mode=2,
        priority=3,
        correlation_id="corr",
        reply_to="replies",
        expiration="60000",
        message_id="mid",
        timestamp=1700000000,
        type="kind",
        user_id="guest",
        app_id="fuzz",
    )
    base.update(extra)
    return pika.BasicProperties(**base)


def consume_and_ack():
    conn = connect()
    ch = conn.channel()
    q = ch.queue_declare(queue="", exclusive=True).method.queue
    for i in range(3):
        ch.basic_publish(exchange="", routing_key=q, body=("m%d" % i).encode(), properties=props())
    ch.basic_qos(prefetch_count=2)
    got = []

    def on_message(channel, method, _properties, body):
        got.append(body)
        channel.basic_ack(method.delivery_tag)
        if len(got) == 3:
            channel.stop_consuming()

    tag = ch.basic_consume(queue=q, on_message_callback=on_message)
    ch.start_consuming()
    ch.basic_cancel(tag)
    conn.close()


def confirms_and_returns():
    conn = connect()
    ch = conn.channel()
    ch.confirm_delivery()
    ch.exchange_declare(exchange="fuzz.topic", exchange_type="topic", auto_delete=True)
    q = ch.queue_declare(queue="", exclusive=True).method.queue
    ch.queue_bind(queue=q, exchange="fuzz.topic", routing_key="a.*.#")
    ch.basic_publish(exchange="fuzz.topic", routing_key="a.b.c", body=b"routed", properties=props())
    try:
        ch.basic_publish(exchange="fuzz.topic", routing_key="z", body=b"unroutable", mandatory=True)
    except pika.exceptions.UnroutableError:
        pass
    ch.queue_unbind(queue=q, exchange="fuzz.topic", routing_key="a.*.#")
    conn.close()


def queue_arguments():
    conn = connect()
    ch = conn.channel()
    ch.exchange_declare(exchange="fuzz.dlx", exchange_type="fanout", auto_delete=True)
    args = {
        "x-max-length": 10,
        "x-message-ttl": 5000,
        "x-dead-letter-exchange": "fuzz.dlx",
        "x-overflow": "reject-publish",
        "x-max-priority": 5,
    }
    q = ch.queue_declare(queue="", exclusive=True, arguments=args).method.queue
    ch.basic_publish(exchange="", routing_key=q, body=b"x" * 300, properties=props(priority=4))
    method, _p, _b = ch.basic_get(queue=q)
    if method:
        ch.basic_reject(method.delivery_tag, requeue=True)
    method, _p, _b = ch.basic_get(queue=q)
    if method:
        ch.basic_nack(method.delivery_tag, requeue=False)
    ch.queue_purge(queue=q)
    ch.queue_delete(queue=q)
    conn.close()


def exchanges_and_tx():
    conn = connect()
    ch = conn.channel()
    ch.exchange_declare(exchange="fuzz.h", exchange_type="headers", auto_delete=True)
    ch.exchange_declare(exchange="fuzz.d", exchange_type="direct", auto_delete=True)
    ch.exchange_bind(destination="fuzz.d", source="fuzz.h", arguments={"x-match": "any", "a": 1, "b": "two"})
    q = ch.queue_declare(queue="", exclusive=True).method.queue
    ch.queue_bind(queue=q, exchange="fuzz.d", routing_key="")
    ch.tx_select()
    ch.basic_publish(exchange="fuzz.h", routing_key="", body=b"tx", properties=props(headers={"a": 1}))
    ch.tx_commit()
    ch.basic_publish(exchange="fuzz.h", routing_key="", body=b"rolled back", properties=props(headers={"b": "two"}))
    ch.tx_rollback()
    ch.exchange_unbind(destination="fuzz.d", source="fuzz.h", arguments={"x-match": "any", "a": 1, "b": "two"})
    ch.exchange_delete(exchange="fuzz.d")
    conn.close()


for scenario in (consume_and_ack, confirms_and_returns, queue_arguments, exchanges_and_tx):
    scenario()

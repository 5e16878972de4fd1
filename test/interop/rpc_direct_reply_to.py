"""RPC over direct reply-to with pika: the RabbitMQ tutorial's Fibonacci RPC, with the client
consuming from the amq.rabbitmq.reply-to pseudo-queue instead of declaring a callback queue.

Usage: /usr/bin/python3 rpc_direct_reply_to.py server <rpc_queue>
       /usr/bin/python3 rpc_direct_reply_to.py client <rpc_queue> <n> [<n> ...]
       /usr/bin/python3 rpc_direct_reply_to.py no-consumer <rpc_queue>

server       declares <rpc_queue>, prints ' [x] Awaiting RPC requests', then answers each request
             with fib(n), published to the default exchange with the request's reply_to as routing key
             (on a confirm channel), and prints ' [.] fib(<n>) for <reply_to>'.
client       consumes amq.rabbitmq.reply-to (no-ack), sends one request per <n> with reply_to
             amq.rabbitmq.reply-to and a fresh correlation_id, waits for each answer and prints
             ' [.] Got fib(<n>) = <answer>'; answers with a foreign correlation_id are an error.
no-consumer  publishes a request with reply_to amq.rabbitmq.reply-to without consuming first and
             prints the channel error the broker answers with.

Broker address: AMQP_HOST (default 127.0.0.1), AMQP_PORT (default 5672); user guest/guest.
"""

import os
import sys
import time
import uuid

import pika

REPLY_TO = 'amq.rabbitmq.reply-to'
STEP_SECONDS = 10


def connect():
    return pika.BlockingConnection(pika.ConnectionParameters(
        host=os.environ.get('AMQP_HOST') or '127.0.0.1',
        port=int(os.environ.get('AMQP_PORT') or '5672'),
        credentials=pika.PlainCredentials('guest', 'guest')))


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def serve(rpc_queue):
    connection = connect()
    channel = connection.channel()
    channel.queue_declare(queue=rpc_queue, auto_delete=True)
    channel.confirm_delivery()

    def on_request(ch, method, props, body):
        n = int(body)
        print(f' [.] fib({n}) for {props.reply_to}', flush=True)
        ch.basic_publish(exchange='', routing_key=props.reply_to,
                         properties=pika.BasicProperties(correlation_id=props.correlation_id),
                         body=str(fib(n)))
        ch.basic_ack(delivery_tag=method.delivery_tag)

    channel.basic_qos(prefetch_count=1)
    channel.basic_consume(queue=rpc_queue, on_message_callback=on_request)
    print(' [x] Awaiting RPC requests', flush=True)
    channel.start_consuming()


class FibonacciRpcClient:
    def __init__(self, rpc_queue):
        self.rpc_queue = rpc_queue
        self.connection = connect()
        self.channel = self.connection.channel()
        self.channel.basic_consume(queue=REPLY_TO, on_message_callback=self.on_response, auto_ack=True)
        self.corr_id = None
        self.response = None

    def on_response(self, ch, method, props, body):
        if props.correlation_id != self.corr_id:
            raise RuntimeError(f'answer for {props.correlation_id!r} while waiting for {self.corr_id!r}')
        self.response = body

    def call(self, n):
        self.response = None
        self.corr_id = str(uuid.uuid4())
        self.channel.basic_publish(exchange='', routing_key=self.rpc_queue,
                                   properties=pika.BasicProperties(reply_to=REPLY_TO,
                                                                   correlation_id=self.corr_id),
                                   body=str(n))
        deadline = time.monotonic() + STEP_SECONDS
        while self.response is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f'no answer for fib({n}) within {STEP_SECONDS} s')
            self.connection.process_data_events(time_limit=remaining)
        return int(self.response)


def client(rpc_queue, numbers):
    rpc = FibonacciRpcClient(rpc_queue)
    for n in numbers:
        print(f' [.] Got fib({n}) = {rpc.call(n)}', flush=True)
    rpc.connection.close()


def no_consumer(rpc_queue):
    connection = connect()
    channel = connection.channel()
    channel.basic_publish(exchange='', routing_key=rpc_queue,
                          properties=pika.BasicProperties(reply_to=REPLY_TO), body='1')
    try:
        # Any synchronous method flushes the publish and surfaces the broker's channel.close.
        channel.queue_declare(queue=rpc_queue, passive=True)
        print('no error', flush=True)
    except pika.exceptions.ChannelClosedByBroker as e:
        print(f'channel closed: {e.reply_code} {e.reply_text}', flush=True)
    connection.close()


def main(argv):
    if len(argv) >= 2 and argv[0] == 'server':
        serve(argv[1])
    elif len(argv) >= 3 and argv[0] == 'client':
        client(argv[1], [int(a) for a in argv[2:]])
    elif len(argv) == 2 and argv[0] == 'no-consumer':
        no_consumer(argv[1])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv[1:])

# From seed 001_ba55a4c3496ddcbe.txt (the subscriber of the fanout example; only adapted the pre-1.0 pika call forms to pika 1.x: exchange_declare(type=) -> exchange_type=, queue_declare() without a queue -> queue='', basic_consume(callback, queue, no_ack=False)).
import pika
import time

connection = pika.BlockingConnection(pika.ConnectionParameters(
    host='127.0.0.1', port=5672))
channel = connection.channel()

channel.exchange_declare(exchange='test123',exchange_type='fanout')  #定义一个exchange ,类型为fanout
rest = channel.queue_declare(queue='', exclusive=True)   #创建一个随机队列,并启用exchange
queue_name = rest.method.queue          #获取队列名
channel.queue_bind(exchange='test123',queue=queue_name)   #将随机队列名和exchange进行绑定


def callback(ch, method, properties, body):
    '''回调函数,处理从rabbitmq中取出的消息'''
    print(" [x] Received %r" % body)
    time.sleep(1)
    ch.basic_ack(delivery_tag = method.delivery_tag)  #发送ack消息



channel.basic_qos(prefetch_count=1)
channel.basic_consume(queue=queue_name, on_message_callback=callback, auto_ack=False)
print(' [*] Waiting for messages. To exit press CTRL+C')
channel.start_consuming()    #开始监听 接受消息

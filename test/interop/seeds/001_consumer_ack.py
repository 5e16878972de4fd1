# From seed 001_ba55a4c3496ddcbe.txt (the "adding ack" consumer (manual basic_ack); only adapted: pre-1.0 basic_consume call to pika 1.x form).
import pika
import time

connection = pika.BlockingConnection(pika.ConnectionParameters(
    host='127.0.0.1', port=5672))
channel = connection.channel()

channel.queue_declare(queue='test')


def callback(ch, method, properties, body):
    '''回调函数,处理从rabbitmq中取出的消息'''
    print(" [x] Received %r" % body)
    time.sleep(5)
    ch.basic_ack(delivery_tag = method.delivery_tag)  #发送ack消息




channel.basic_consume(queue='test', on_message_callback=callback, auto_ack=False)
print(' [*] Waiting for messages. To exit press CTRL+C')
channel.start_consuming()    #开始监听 接受消息

# From seed 001_ba55a4c3496ddcbe.txt (the message-persistence "Consume"; adapted: pre-1.0 basic_consume call to pika 1.x form, dropped the prose/traceback that trails the code block).
import pika
import time

connection = pika.BlockingConnection(pika.ConnectionParameters(
    host='127.0.0.1', port=5672))
channel = connection.channel()
# 消息持久化
channel.queue_declare(queue='test_persistent',durable=True)


def callback(ch, method, properties, body):
    '''回调函数,处理从rabbitmq中取出的消息'''
    print(" [x] Received %r" % body)
    #time.sleep(5)
    ch.basic_ack(delivery_tag = method.delivery_tag)  #发送ack消息



channel.basic_qos(prefetch_count=1)  # 表示谁来谁取
channel.basic_consume(queue='test_persistent', on_message_callback=callback, auto_ack=False)
print(' [*] Waiting for messages. To exit press CTRL+C')
channel.start_consuming()    #开始监听 接受消息

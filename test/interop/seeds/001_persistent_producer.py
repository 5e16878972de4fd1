# From seed 001_ba55a4c3496ddcbe.txt (the message-persistence "Product", verbatim).
import pika

connection = pika.BlockingConnection(pika.ConnectionParameters(
    host='127.0.0.1', port=5672, ))     #定义连接池
channel = connection.channel()          #声明队列以向其发送消息消息

channel.queue_declare(queue='test_persistent',durable=True)
for i in range(10):
    # 消息持久化
    channel.basic_publish(exchange='', routing_key='test_persistent', body=str(i),properties=pika.BasicProperties(delivery_mode=2))
    print('send success msg[%s] to rabbitmq' %i)
connection.close()   #关闭连接

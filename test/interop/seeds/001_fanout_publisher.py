# From seed 001_ba55a4c3496ddcbe.txt (the publisher of the fanout example; only adapted the pre-1.0 pika call form exchange_declare(type=) -> exchange_type=).
import pika

connection = pika.BlockingConnection(pika.ConnectionParameters(
    host='127.0.0.1', port=5672, ))     #定义连接池
channel = connection.channel()          #声明队列以向其发送消息消息

channel.exchange_declare(exchange='test123',exchange_type='fanout')
for i in range(10):
    channel.basic_publish(exchange='test123', routing_key='', body=str(i),properties=pika.BasicProperties(delivery_mode=2))
    print('send success msg[%s] to rabbitmq' %i)
connection.close()   #关闭连接

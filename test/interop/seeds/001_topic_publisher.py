# From seed 001_ba55a4c3496ddcbe.txt (the publisher of the topic example; only adapted the pre-1.0 pika call form exchange_declare(type=) -> exchange_type=).
import pika

connection = pika.BlockingConnection(pika.ConnectionParameters(
    host='127.0.0.1', port=5672, ))     #定义连接池
channel = connection.channel()          #声明队列以向其发送消息消息

channel.exchange_declare(exchange='test333',exchange_type='topic')
channel.basic_publish(exchange='test333', routing_key='test.123', body='test.123 msg',properties=pika.BasicProperties(delivery_mode=2))
channel.basic_publish(exchange='test333', routing_key='test.123.321', body=' test.123.321 msg',properties=pika.BasicProperties(delivery_mode=2))

print('send success msg[] to rabbitmq')
connection.close()   #关闭连接

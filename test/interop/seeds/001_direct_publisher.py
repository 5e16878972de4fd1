# From seed 001_ba55a4c3496ddcbe.txt (the publisher of the direct example; only adapted the pre-1.0 pika call form exchange_declare(type=) -> exchange_type=).
import pika

connection = pika.BlockingConnection(pika.ConnectionParameters(
    host='127.0.0.1', port=5672, ))     #定义连接池
channel = connection.channel()          #声明队列以向其发送消息消息

channel.exchange_declare(exchange='test321',exchange_type='direct')
channel.basic_publish(exchange='test321', routing_key='info', body='info msg',properties=pika.BasicProperties(delivery_mode=2))  #发送info msg到 info routing_key
channel.basic_publish(exchange='test321', routing_key='error', body='error msg',properties=pika.BasicProperties(delivery_mode=2)) #发送error msg到 error routing_key

print('send success msg[] to rabbitmq')
connection.close()   #关闭连接**

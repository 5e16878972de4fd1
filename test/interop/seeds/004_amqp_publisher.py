# From seed 004_e0925780df1dd289.txt (the publisher, "amqp_publisher.py"; py-amqplib/Python 2 program assembled from the article's fragments, ported to py-amqp (`import amqp`): only the import line changed and the explicit conn.connect() (required since py-amqp 2.0) added).
import amqp  
conn = amqp.Connection(host="localhost:5672 ", userid="guest",  
password="guest", virtual_host="/", insist=False)  
conn.connect()
chan = conn.channel()  

msg = amqp.Message("Test message!")  
msg.properties["delivery_mode"] = 2  
chan.basic_publish(msg,exchange="sorting_room",routing_key="jason")  

chan.close()
conn.close()

# From seed 004_e0925780df1dd289.txt (the chan.basic_get() fragment on the article's connection and close fragments; py-amqplib/Python 2, ported to py-amqp (`import amqp`): import line, explicit conn.connect() (required since py-amqp 2.0), print function).
import amqp  
conn = amqp.Connection(host="localhost:5672 ", userid="guest",  
password="guest", virtual_host="/", insist=False)  
conn.connect()
chan = conn.channel()  

msg = chan.basic_get("po_box")  
print(msg.body)  
chan.basic_ack(msg.delivery_tag)  

chan.close()
conn.close()

# From seed 004_e0925780df1dd289.txt (the consumer, "amqp_consumer.py"; py-amqplib/Python 2 program assembled from the article's fragments, ported to py-amqp (`import amqp`): import line, explicit conn.connect() (required since py-amqp 2.0), print function, chan.wait() -> conn.drain_events(), typographic quotes in queue_bind -> ASCII quotes).
import amqp  
conn = amqp.Connection(host="localhost:5672 ", userid="guest",  
password="guest", virtual_host="/", insist=False)  
conn.connect()
chan = conn.channel()  
chan.queue_declare(queue="po_box", durable=True,  
exclusive=False, auto_delete=False)  
chan.exchange_declare(exchange="sorting_room", type="direct", durable=True,  
auto_delete=False,)  

chan.queue_bind(queue="po_box", exchange="sorting_room",
routing_key="jason")

def recv_callback(msg):  
    print('Received: ' + msg.body)  
chan.basic_consume(queue='po_box', no_ack=True,  
callback=recv_callback, consumer_tag="testtag")  
while True:  
    conn.drain_events()  
chan.basic_cancel("testtag")  

chan.close()
conn.close()

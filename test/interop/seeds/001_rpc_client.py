# From seed 001_ba55a4c3496ddcbe.txt (RPC "client"; only adapted the pre-1.0 pika call forms to pika 1.x: queue_declare() without a queue -> queue='', basic_consume(cb, no_ack=True, queue)).
import pika
import uuid
import time

class FibonacciRpcClient(object):
    def __init__(self):
        self.connection = pika.BlockingConnection(pika.ConnectionParameters(
        host='127.0.0.1',port=5672,))     #定义连接池

        self.channel = self.connection.channel()        #创建通道

        result = self.channel.queue_declare(queue='', exclusive=True,auto_delete=True)  #创建客户端短接受服务端回应消息的队列,\exclusive=True表示只队列只允许当前链接进行连接,auto_delete=True表示自动删除
        self.callback_queue = result.method.queue     #获取队列名称

        self.channel.basic_consume(queue=self.callback_queue, on_message_callback=self.on_response,
                                   auto_ack=True)            #从队列中获取消息

    def on_response(self, ch, method, props, body):
        if self.corr_id == props.correlation_id:     #判断
            self.response = body

    def call(self, n):
        self.response = None
        self.corr_id = str(uuid.uuid4())
        self.channel.basic_publish(exchange='',
                                   routing_key='rpc_queue',
                                   properties=pika.BasicProperties(
                                         reply_to = self.callback_queue,   #回应消息的队列
                                         correlation_id = self.corr_id, #correlation id可以理解为请求的唯一标识码
                                         ),
                                   body=str(n))
        while self.response is None:        #不断从自己监听的队列里取消息,直到取到消息
            self.connection.process_data_events()
        return self.response.decode()

fibonacci_rpc = FibonacciRpcClient()

print(" [x] Requesting server" )
time.sleep(0.1)
while True:
    command = input('>> ')
    response = fibonacci_rpc.call(command)
    print(" [.] Get %r \n" % response)

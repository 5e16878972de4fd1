# From seed 001_ba55a4c3496ddcbe.txt (RPC "service"; only adapted: pre-1.0 basic_consume(on_request, queue) call to pika 1.x form).
import pika
import subprocess
connection = pika.BlockingConnection(pika.ConnectionParameters(
    host='127.0.0.1', port=5672, ))       #定义连接池

channel = connection.channel()    #创建通道

channel.queue_declare(queue='rpc_queue')            #创建rpc_queue队列

def operating(arg):
    p = subprocess.Popen(arg, shell=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)   #执行系统命令
    res = p.stdout.read()       #取出标准输出
    if not res:                 #判断是否有执行结果
        responses_msg = p.stderr.read()         #没有执行结果则取出标准错误输出
    else:
        responses_msg = res
    return responses_msg

def on_request(ch, method, props, body):
    command = str(body,encoding='utf-8')
    print(" [.] start Processing command : %s" % command)
    response_msg = operating(body)          #调用函数执行命令
    ch.basic_publish(exchange='',
                     routing_key=props.reply_to,
                     properties=pika.BasicProperties(correlation_id = props.correlation_id),body=str(response_msg))
    ch.basic_ack(delivery_tag = method.delivery_tag)


channel.basic_qos(prefetch_count=1)       #消息不平均分配,谁取谁得
channel.basic_consume(queue='rpc_queue', on_message_callback=on_request)    #监听队列

print(" [x] Awaiting RPC requests")
channel.start_consuming()

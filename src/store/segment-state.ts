/** What the store tracks per segment while running: positions and a live count, nothing per message. */
export interface SegmentState {
  /** end of msgs.N including bytes still buffered: where the next record of this segment goes */
  msgsEnd: number;
  /** bytes of msgs.N already written (readable; durable once the flush that wrote them has synced) */
  msgsWritten: number;
  /** end of acks.N including buffered bytes; 0 while the file does not exist yet */
  acksEnd: number;
  acksWritten: number;
  /** (queue, message) pairs stored in this segment and not yet acked or dropped */
  live: number;
}

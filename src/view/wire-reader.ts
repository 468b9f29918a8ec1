/**
 * A reader of the protobuf wire format, enough for OTLP: tags, varints (as 32-bit values or as two 32-bit words),
 * fixed32, fixed64, doubles and length-delimited fields, each checked against the end of the message it belongs to.
 * Unknown fields of every wire type are skipped; groups (wire types 3 and 4, unused since proto2) and wire types past
 * 5 are refused. Every fault is an OtlpDecodeError: a peer's bytes never make it throw anything else.
 */
import { cutString, fail, MAX_STRING_LENGTH } from './otlp-values';

/** Each UTF-16 unit of a string takes at most 3 bytes of UTF-8 (a pair, 4 bytes for 2 units). */
const MAX_UTF8_BYTES_PER_UNIT = 3;

export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
export const FIXED32 = 5;

const WIRE_TYPE_NAMES = ['varint', 'fixed64', 'length-delimited', 'group start', 'group end', 'fixed32'];
const MAX_VARINT_BYTES = 10;

export class WireReader {
  pos = 0;
  /** The field number and wire type of the tag read last. */
  field = 0;
  wireType = 0;
  /** The two 32-bit words (unsigned) of the varint or fixed64 read last. */
  low = 0;
  high = 0;

  constructor(readonly buf: Buffer) {}

  /** Reads the next tag; the caller loops while `pos < end`. */
  tag(end: number): void {
    this.varint(end);
    if (this.high !== 0) fail('field tag out of range');
    this.field = this.low >>> 3;
    this.wireType = this.low & 7;
    if (this.field === 0) fail('field number 0');
    if (this.wireType === 3 || this.wireType === 4) fail(`groups are not supported (field ${this.field})`);
    if (this.wireType > 5) fail(`wire type ${this.wireType} does not exist (field ${this.field})`);
  }

  /** Refuses a known field sent with another wire type than its own. */
  expect(wireType: number): void {
    if (this.wireType !== wireType) {
      fail(`field ${this.field} is ${WIRE_TYPE_NAMES[this.wireType]}, expected ${WIRE_TYPE_NAMES[wireType]}`);
    }
  }

  /** Reads a varint into low and high. */
  varint(end: number): void {
    const buf = this.buf;
    let pos = this.pos;
    let low = 0;
    let high = 0;
    for (let i = 0; ; i++) {
      if (i === MAX_VARINT_BYTES) fail('varint longer than 10 bytes');
      if (pos >= end) fail('truncated varint');
      const byte = buf[pos++];
      const bits = byte & 0x7f;
      if (i < 4) low |= bits << (7 * i);
      else if (i === 4) {
        low |= bits << 28;
        high = bits >>> 4;
      } else high |= bits << (7 * i - 32);
      if (byte < 0x80) break;
    }
    this.pos = pos;
    this.low = low >>> 0;
    this.high = high >>> 0;
  }

  /** A varint field of at most 32 bits that matter (enums, counts): the low word, as protobuf truncates int32. */
  uint32(end: number): number {
    this.expect(VARINT);
    this.varint(end);
    return this.low;
  }

  bool(end: number): boolean {
    this.expect(VARINT);
    this.varint(end);
    return this.low !== 0 || this.high !== 0;
  }

  /** A fixed64 field into low and high. */
  fixed64(end: number): void {
    this.expect(FIXED64);
    this.fixed64Words(end);
  }

  fixed64Words(end: number): void {
    if (this.pos + 8 > end) fail('truncated fixed64');
    this.low = this.buf.readUInt32LE(this.pos);
    this.high = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
  }

  double(end: number): number {
    this.expect(FIXED64);
    return this.doubleValue(end);
  }

  doubleValue(end: number): number {
    if (this.pos + 8 > end) fail('truncated double');
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  /** A length-delimited field: returns where it ends, after checking it ends within `end`. */
  lengthDelimited(end: number): number {
    this.expect(LENGTH_DELIMITED);
    this.varint(end);
    if (this.high !== 0 || this.low > end - this.pos) fail(`field ${this.field} is longer than its message`);
    return this.pos + this.low;
  }

  /**
   * A string field, cut to `max` UTF-16 units (cutString). Past what `max` units can take only the first bytes are
   * decoded: a megabyte value costs what its cut does.
   */
  string(end: number, max = MAX_STRING_LENGTH): string {
    const stop = this.lengthDelimited(end);
    const decodeStop = Math.min(stop, this.pos + (max + 1) * MAX_UTF8_BYTES_PER_UNIT);
    const value = cutString(this.buf.toString('utf8', this.pos, decodeStop), max);
    this.pos = stop;
    return value;
  }

  /** A bytes field as lowercase hex. */
  hex(end: number): string {
    const stop = this.lengthDelimited(end);
    const value = this.buf.toString('hex', this.pos, stop);
    this.pos = stop;
    return value;
  }

  base64(end: number): string {
    const stop = this.lengthDelimited(end);
    // Base64 is 4 characters for 3 bytes: the first MAX_STRING_LENGTH bytes are more than a cut keeps.
    const value = cutString(this.buf.toString('base64', this.pos, Math.min(stop, this.pos + MAX_STRING_LENGTH)));
    this.pos = stop;
    return value;
  }

  /** Skips the field whose tag was read last, whatever its wire type. */
  skip(end: number): void {
    switch (this.wireType) {
      case VARINT:
        this.varint(end);
        return;
      case FIXED64:
        if (this.pos + 8 > end) fail('truncated fixed64');
        this.pos += 8;
        return;
      case LENGTH_DELIMITED:
        this.pos = this.lengthDelimited(end);
        return;
      default:
        if (this.pos + 4 > end) fail('truncated fixed32');
        this.pos += 4;
    }
  }

  /** Checks that a message's fields ended exactly at its end. */
  ended(end: number): void {
    if (this.pos !== end) fail('field runs past the end of its message');
  }
}

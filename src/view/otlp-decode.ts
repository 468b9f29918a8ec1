/**
 * The OTLP decoder: an export request of one signal, in either encoding, into an ExportBatch of the model's records.
 * Anything malformed, in either encoding, is an OtlpDecodeError (its message fit for a status body); no other
 * exception leaves here, whatever the body.
 */
import type { ExportBatch } from './model';
import { decodeJson } from './otlp-json';
import { decodeProtobuf } from './otlp-protobuf';
import { OtlpDecodeError, takeCutCount } from './otlp-values';

export { OtlpDecodeError } from './otlp-values';

export type Signal = ExportBatch['signal'];
export type OtlpEncoding = 'protobuf' | 'json';

/**
 * Decodes a body. Values past the bounds of otlp-values.ts are cut (strings) or dropped (attributes past the 256th of a
 * list); how many, when any, is the batch's truncatedValues.
 */
export function decodeExport(signal: Signal, body: Buffer, encoding: OtlpEncoding): ExportBatch {
  takeCutCount();
  try {
    const batch = encoding === 'json' ? decodeJson(signal, body) : decodeProtobuf(signal, body);
    const cut = takeCutCount();
    if (cut > 0) batch.truncatedValues = cut;
    return batch;
  } catch (error) {
    if (error instanceof OtlpDecodeError) throw error;
    // A fault of this decoder rather than of the body; the peer still gets a 400, and the cause is named.
    throw new OtlpDecodeError(`undecodable body (${error instanceof Error ? error.message : String(error)})`);
  }
}

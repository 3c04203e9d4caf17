import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';

// JetStream API error codes that the client library does not name.
const STREAM_NAME_IN_USE = 10058;

const apiCode = (err: unknown) => (err instanceof JetStreamApiError ? err.code : undefined);

/** The stream does not exist. */
export const isStreamNotFound = (err: unknown) => apiCode(err) === JetStreamApiCodes.StreamNotFound;
/** A concurrent create won the race for this stream name. */
export const isStreamNameInUse = (err: unknown) => apiCode(err) === STREAM_NAME_IN_USE;
/** The consumer does not exist. */
export const isConsumerNotFound = (err: unknown) => apiCode(err) === JetStreamApiCodes.ConsumerNotFound;
/** No message matched a direct/last-by-subject get. */
export const isNoMessageFound = (err: unknown) => apiCode(err) === JetStreamApiCodes.NoMessageFound;
/** An optimistic-concurrency publish lost: the subject moved on since it was read. */
export const isWrongLastSequence = (err: unknown) =>
  apiCode(err) === JetStreamApiCodes.StreamWrongLastSequence ||
  apiCode(err) === JetStreamApiCodes.StreamWrongLastSequenceUnknown;

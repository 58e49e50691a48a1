/**
 * marionette-sim: deterministic simulation testing and swarm fuzzing for TypeScript services.
 *
 * Production-shaped code receives an {@link Env} (clock, random, BUGGIFY, recorder); a test
 * harness runs it in a {@link World} (one seeded PRNG, one simulated clock, one trace) through
 * {@link defineCase} and {@link runCase}, and searches seeds with {@link expectFuzz} or `mar fuzz`.
 * @packageDocumentation
 */

import { setTestFailureRecorder } from './harness/expect.js';

// Seeds and randomness
export { parseSeed, formatSeed, SEED_MAX, type SeedInput } from './kernel/parse-seed.js';
export { Prng, MAX_INT_BOUND } from './kernel/prng.js';
export type { ChoiceSource } from './kernel/choice-source.js';

// The world and its handles
export { DEFAULT_TICK_NS, DEFAULT_MAX_EVENTS, DEFAULT_MAX_STEPS, type UntracedRandom, type TickListener } from './kernel/world.js';
export { World, type WorldOptions } from './harness/world.js';
export type { BuggifyHookPolicy } from './faults/profiles/hook-policy.js';
export type {
  Env,
  Control,
  Clock,
  Random,
  Simulation,
  SimulateOptions,
  HostEnv,
  HostMain,
  Host,
  HostControl,
} from './harness/simulation-types.js';
export { createProductionEnv, type ProductionEnvOptions } from './harness/production-env.js';
export { BuggifyRate } from './faults/buggify-rate.js';

// Network
export type {
  Endpoint,
  Envelope,
  NetworkOptions,
  NetworkControl,
  NetworkFaults,
  LossinessFaults,
  LatencyFaults,
  ClogFaults,
  PartitionDynamics,
  DropReason,
} from './faults/network/network-types.js';
export { CodecTransport, type Codec, type TypedChannel } from './faults/network/codec-transport.js';
export { createLocalNetwork, type LocalNetwork } from './faults/network/local-network.js';
export { listenTcpEndpoint, type TcpEndpoint, type TcpEndpointOptions } from './faults/network/tcp-endpoint.js';

// Disk
export type { Disk, DiskRead, DiskWrite, DiskOptions, DiskFaults, DiskControl } from './faults/disk/disk-types.js';
export { createProductionDisk, type ProductionDisk, type ProductionDiskOptions } from './faults/disk/production-disk.js';

// Fault profiles
export {
  NONE_PROFILE,
  normalizeProfile,
  type FaultProfile,
  type ProfileInput,
  type PartialProfile,
  type NetworkFaultProfile,
  type DiskFaultProfile,
  type HostFaultProfile,
  type BuggifyProfile,
  type RateText,
} from './faults/profiles/fault-profile.js';
export { resolveProfile, expandSwarmProfile, SMOKE_PROFILE } from './faults/profiles/resolve-profile.js';
export { faultProfileArbitrary } from './faults/profiles/profile-arbitrary.js';

// Traces
export { TRACE_HEADER } from './kernel/trace/trace.js';
export { parseTrace, type TraceEvent } from './kernel/trace/parse-trace.js';
export { encodeTraceText, decodeTraceText } from './kernel/trace/escape.js';
export { formatAttributeValue, parseAttributeValue, type AttributeValue } from './kernel/trace/run-attribute.js';
export type { TraceFields, TraceValue } from './kernel/trace/record-format.js';
export { summarizeTrace, type SummaryOptions } from './kernel/trace/summarize-trace.js';
export { traceHash } from './kernel/trace-hash.js';

// Cases and running them
export { defineCase, isCase, type Case, type CaseDefinition, type Check } from './harness/define-case.js';
export { runCase, type RunCaseOptions } from './harness/run-case.js';
export type { RunReport, TraceDivergence } from './harness/run-report.js';
export { failureSignature, FAILURE_KINDS, type FailureKind, type RunPhase } from './harness/failure.js';
export {
  expectPass,
  expectFailure,
  expectFuzz,
  describeFailure,
  ExpectationFailed,
  type ExpectFailureOptions,
  type ExpectFuzzOptions,
  type FuzzSummary,
} from './harness/expect.js';
export { RealIoInWorld, NotLinearizable, LinearizabilityUnknown, AssertionFailed } from './harness/errors.js';
export { DEFAULT_EPOCH_MS, MONOTONIC_ORIGIN_NS } from './harness/hermetic/hermetic-scope.js';

// Linearizability
export { checkLinearizable, MAX_OPERATIONS_WITHOUT_BUDGET, type CheckOptions, type LinearizabilityResult } from './checkers/check-linearizable.js';
export type { IllegalPartition } from './checkers/_internals/explain.js';
export type { Model, Operation } from './checkers/model.js';
export { models, type RegisterInput, type CasRegisterInput, type KvInput, type KvState } from './checkers/models/index.js';
export { ModelError } from './checkers/errors.js';
export { createHistory, type History, type PendingOperation, type RecordedOperation } from './harness/history.js';
export { linearizable, type LinearizableOptions } from './harness/linearizable.js';

// Errors
export {
  MarionetteError,
  InvalidArgument,
  InvalidSeed,
  InvalidRate,
  InvalidTraceRecord,
  InvalidTrace,
  ClockOverflow,
  EventLimitExceeded,
  StepLimitExceeded,
  OwnerStopped,
  WorldMisuse,
} from './kernel/errors.js';
export { InvalidNode, DiskCrashed, DiskIoError, CodecError } from './faults/errors.js';

// expectFuzz({ db }) stores failures through the search layer, loaded only when a test asks for it.
setTestFailureRecorder(async (db, report, context) => (await import('./search/store/record-test-failure.js')).recordTestFailure(db, report, context));

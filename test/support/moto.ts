import { type DefaultNetwork, describeDefaultNetwork } from '../../cli/emulator/default-network';
import {
  type BuildOutcome,
  type EmulatorTimings,
  type GitRepositoryBinding,
  listRecordedBuilds,
  type RecordedBuild,
  resetMoto,
  type ServedGitRepository,
  scriptBuildOutcomes,
  serveGitRepository,
  setBuildExecutor,
  setEmulatorTimings,
  setTargetHealth,
  setTaskSetStability,
  type TargetHealthOverride,
  type TaskSetStability,
} from '../../cli/emulator/moto-controls';

export interface MotoControls {
  /** This worker's moto server, also in AWS_ENDPOINT_URL. */
  endpoint: string;
  /** moto's log for this worker: where the cause of a moto 500 is. */
  log: string;
  reset(): Promise<void>;
  scriptBuildOutcomes(
    projectName: string,
    outcomes: BuildOutcome[],
  ): Promise<{ projectName: string; queued: number }>;
  listRecordedBuilds(): Promise<RecordedBuild[]>;
  setTargetHealth(override: TargetHealthOverride): Promise<TargetHealthOverride>;
  /** Make a task set (or a service's next task sets) report STABILIZING for N DescribeTaskSets. */
  setTaskSetStability(
    stability: TaskSetStability,
  ): Promise<{ taskSetArn?: string; serviceArn?: string; stabilizingPolls: number }>;
  /** Serve a CodeCommit repository's read API (GetBranch, GetCommit, GetFolder, GetFile, GetBlob) from a local git repository. */
  serveGitRepository(binding: GitRepositoryBinding): Promise<ServedGitRepository>;
  /** moto's default VPC and subnets; their ids change after every reset. */
  describeDefaultNetwork(): Promise<DefaultNetwork>;
  /** Run every new build with the launch's executor, the local build runner (or, with false, go back to scripted outcomes). */
  setBuildExecutor(enabled?: boolean): Promise<{ enabled: boolean }>;
  /**
   * Slow the emulator down as AWS is slow (targets `initial`, `draining`; tasks starting) until the next reset;
   * the harness starts every server with INSTANT_TIMINGS.
   */
  setTimings(timings: Partial<EmulatorTimings>): Promise<EmulatorTimings & { launch: EmulatorTimings }>;
}

/** Where globalSetup leaves the interpreter it resolved for the servers (cli/emulator/python-env.ts). */
export const MOTO_PYTHON_VARIABLE = 'SWITCHYARD_TEST_MOTO_PYTHON';

/**
 * The Python the servers run on, resolved as `switchyard local` resolves it: for a test that runs Python with moto
 * itself (the launcher, a patch module) instead of a bare `python3` that may lack moto.
 */
export function motoPython(): string {
  const python = process.env[MOTO_PYTHON_VARIABLE];
  if (!python)
    throw new Error(
      `${MOTO_PYTHON_VARIABLE} is unset: run the tests through jest.config.js, whose globalSetup ` +
        "(test/support/global-setup.ts) resolves the emulator's Python",
    );
  return python;
}

/** Call inside a describe: resets this worker's moto server before each test and returns its controls. */
export function useMoto(options: { seed?: number } = {}): MotoControls {
  const endpoint = process.env.SWITCHYARD_TEST_MOTO_ENDPOINT;
  if (!endpoint) {
    throw new Error(
      'No moto server for this jest worker (SWITCHYARD_TEST_MOTO_ENDPOINT is unset): run the tests through ' +
        'jest.config.js, whose globalSetup (test/support/global-setup.ts) starts the servers',
    );
  }
  const reset = () => resetMoto(endpoint, options);
  beforeEach(reset);
  return {
    endpoint,
    log: process.env.SWITCHYARD_TEST_MOTO_LOG ?? '',
    reset,
    scriptBuildOutcomes: (projectName, outcomes) => scriptBuildOutcomes(endpoint, projectName, outcomes),
    listRecordedBuilds: () => listRecordedBuilds(endpoint),
    setTargetHealth: (override) => setTargetHealth(endpoint, override),
    setTaskSetStability: (stability) => setTaskSetStability(endpoint, stability),
    serveGitRepository: (binding) => serveGitRepository(endpoint, binding),
    describeDefaultNetwork: () => describeDefaultNetwork(endpoint),
    setBuildExecutor: (enabled) => setBuildExecutor(endpoint, enabled),
    setTimings: (timings) => setEmulatorTimings(endpoint, timings),
  };
}

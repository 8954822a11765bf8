/**
 * The live screen's details, read from the emulator while a stage runs: the build's last log lines (CloudWatch
 * Logs, where CodeBuild, and the emulator's build executor, write them) and green's targets' health
 * (DescribeTargetHealth on green's target group). One timer, one request at a time, stopped at the run's end; a
 * failed read keeps the last answer and never reaches the run.
 */
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { BatchGetBuildsCommand, CodeBuildClient } from '@aws-sdk/client-codebuild';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';

/** How often the details are read while they are wanted. */
export const DETAILS_POLL_MS = 500;
/** How many of the build's log lines the screen shows. */
export const BUILD_LOG_LINES = 3;

/** What the screen shows of the running stage, and what it follows. */
export interface LiveDetails {
  /** The build's last log lines, oldest first. */
  readonly buildLog: string[];
  /** Green's targets, as `2/2 healthy` (with the other states counted), once read. */
  readonly health: string | undefined;
  /** Follows this build's log (StartBuild's build id). */
  followBuild(buildId: string): void;
  /** Follows the health of this target group (CreateGreen's green target group). */
  followGreen(targetGroupArn: string): void;
  /** Which reads the running stage needs; none stops the requests. */
  want(what: 'build' | 'green' | undefined): void;
  stop(): void;
}

/** `2/2 healthy`, or `1/2 healthy, 1 initial`: green's targets by state. */
export function healthSummary(states: string[]): string {
  const healthy = states.filter((state) => state === 'healthy').length;
  const others = new Map<string, number>();
  for (const state of states) if (state !== 'healthy') others.set(state, (others.get(state) ?? 0) + 1);
  const rest = [...others].map(([state, count]) => `, ${count} ${state}`).join('');
  return `${healthy}/${states.length} healthy${rest}`;
}

/** Starts the details' timer (unref'd: it never keeps the process alive). */
export function liveDetails(pollMs = DETAILS_POLL_MS): LiveDetails {
  // Made on first use: by then the run has pointed the SDK at the emulator.
  let clients:
    | { codebuild: CodeBuildClient; logs: CloudWatchLogsClient; elbv2: ElasticLoadBalancingV2Client }
    | undefined;
  const client = () => {
    clients ??= {
      codebuild: new CodeBuildClient({ maxAttempts: 1 }),
      logs: new CloudWatchLogsClient({ maxAttempts: 1 }),
      elbv2: new ElasticLoadBalancingV2Client({ maxAttempts: 1 }),
    };
    return clients;
  };
  let build: { id: string; group?: string; stream?: string } | undefined;
  let green: string | undefined;
  let wanted: 'build' | 'green' | undefined;
  let busy = false;
  const details = {
    buildLog: [] as string[],
    health: undefined as string | undefined,
  };

  const readBuildLog = async () => {
    if (!build) return;
    if (!build.group || !build.stream) {
      // The build says where its log goes (logs.groupName, logs.streamName), as CodeBuild's BatchGetBuilds does.
      const { builds = [] } = await client().codebuild.send(new BatchGetBuildsCommand({ ids: [build.id] }));
      build.group = builds[0]?.logs?.groupName;
      build.stream = builds[0]?.logs?.streamName;
      if (!build.group || !build.stream) return;
    }
    // The newest events: startFromHead false reads from the end of the stream
    // (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html).
    const { events = [] } = await client().logs.send(
      new GetLogEventsCommand({
        logGroupName: build.group,
        logStreamName: build.stream,
        startFromHead: false,
        limit: 20,
      }),
    );
    const lines = events
      .map((event) => (event.message ?? '').trimEnd())
      .filter((line) => line.trim() !== '')
      .slice(-BUILD_LOG_LINES);
    if (lines.length > 0) details.buildLog = lines;
  };

  const readHealth = async () => {
    if (!green) return;
    const { TargetHealthDescriptions = [] } = await client().elbv2.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: green }),
    );
    details.health = healthSummary(
      TargetHealthDescriptions.map((target) => target.TargetHealth?.State ?? 'unknown'),
    );
  };

  const poll = () => {
    if (busy || !wanted) return;
    busy = true;
    const read = wanted === 'build' ? readBuildLog() : readHealth();
    // A failed read keeps the last answer: the details are a view, never a reason to fail the run.
    void read
      .catch(() => undefined)
      .finally(() => {
        busy = false;
      });
  };
  const timer = setInterval(poll, pollMs);
  timer.unref();

  return Object.assign(details, {
    followBuild: (buildId: string) => {
      build = { id: buildId };
      details.buildLog = [];
    },
    followGreen: (targetGroupArn: string) => {
      green = targetGroupArn;
      details.health = undefined;
    },
    want: (what: 'build' | 'green' | undefined) => {
      if (what !== wanted) {
        wanted = what;
        poll();
      }
    },
    stop: () => {
      wanted = undefined;
      clearInterval(timer);
    },
  });
}

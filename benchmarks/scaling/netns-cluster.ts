// --netns: the scaling benchmark's local nodes, each in a network namespace of its own
// (tests/helpers/netns.ts: veth pairs to a bridge, a private 10.213.X.0/24 made for the run,
// links shaped to 1 Gbit/s and 0.5 ms where the kernel has netem), so that the control path
// and object transfer cross a real interface. The same interface as LocalCluster.
import { createNetns, netnsUnavailable, type Netns } from '../../tests/helpers/netns.js';
import { startTestCluster, type TestCluster } from '../../tests/helpers/test-cluster.js';

export class NetnsCluster {
  private netns: Netns | undefined;
  private cluster: TestCluster | undefined;
  address = '';
  token = '';
  readonly pids: number[] = [];

  constructor(
    private readonly nodes: number,
    private readonly cpusPerNode: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Why namespaces cannot be made here, or undefined. */
  static unavailable(): string | undefined {
    return netnsUnavailable();
  }

  async startHead(): Promise<void> {
    this.netns = createNetns({ count: this.nodes, netem: { rate: '1gbit', delay: '0.5ms' } });
    this.log(
      `namespaces ${this.netns.names.join(', ')} at ${this.netns.addresses.join(', ')} ` +
        `(bridge ${this.netns.bridgeAddress}); links shaped: ${this.netns.shaping}`,
    );
    this.cluster = await startTestCluster({
      workers: 0,
      headCpus: this.cpusPerNode,
      workerCpus: this.cpusPerNode,
      netns: this.netns,
    });
    this.address = this.cluster.address;
    this.token = this.cluster.token;
    this.pids.push(this.cluster.head.process.pid!);
  }

  async addNode(): Promise<void> {
    if (!this.cluster) throw new Error('start the head first');
    const node = await this.cluster.addWorker();
    this.pids.push(node.process.pid!);
  }

  get shaping(): string {
    return this.netns?.shaping ?? 'none';
  }

  /** Stops the nodes and removes the namespaces and the bridge. Safe to call twice. */
  async stop(): Promise<void> {
    try {
      await this.cluster?.teardown();
    } finally {
      this.netns?.cleanup();
    }
  }
}

/**
 * The resource: the detectors named by OTEL_NODE_RESOURCE_DETECTORS (no cloud probes by default), then the attributes
 * of OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME, which win.
 */
import { readFileSync } from 'node:fs';
import { arch, hostname } from 'node:os';
import { defaultResource, detectResources, osDetector, processDetector, serviceInstanceIdDetector } from '@opentelemetry/resources';
import type { Resource, ResourceDetector } from '@opentelemetry/resources';
import { diag } from '@opentelemetry/api';
import type { DistroConfig } from './config';
import { requireVia } from './resolve';

/** The cloud and container detectors ship with auto-instrumentations-node; loaded only when named. */
const OPTIONAL_DETECTORS: Record<string, [string, string[]]> = {
  container: ['@opentelemetry/resource-detector-container', ['containerDetector']],
  alibaba: ['@opentelemetry/resource-detector-alibaba-cloud', ['alibabaCloudEcsDetector']],
  aws: ['@opentelemetry/resource-detector-aws', ['awsEc2Detector', 'awsEcsDetector', 'awsEksDetector', 'awsBeanstalkDetector', 'awsLambdaDetector']],
  azure: ['@opentelemetry/resource-detector-azure', ['azureAppServiceDetector', 'azureFunctionsDetector', 'azureVmDetector']],
  gcp: ['@opentelemetry/resource-detector-gcp', ['gcpDetector']],
};

function optionalDetectors(name: string): ResourceDetector[] {
  const [pkg, exportNames] = OPTIONAL_DETECTORS[name]!;
  const exports = requireVia('@opentelemetry/auto-instrumentations-node', pkg) as Record<string, ResourceDetector>;
  return exportNames.map((n) => exports[n]).filter((d): d is ResourceDetector => d !== undefined);
}

const ARCH: Record<string, string> = { arm: 'arm32', arm64: 'arm64', ia32: 'x86', ppc: 'ppc32', ppc64: 'ppc64', s390x: 's390x', x64: 'amd64' };

/**
 * host.name, host.arch and host.id, all read synchronously. Upstream's hostDetector reads host.id asynchronously, and a
 * process that calls process.exit() before that settles would export with an unsettled resource.
 */
const syncHostDetector: ResourceDetector = {
  detect() {
    const attributes: Record<string, string> = { 'host.name': hostname(), 'host.arch': ARCH[arch()] ?? arch() };
    if (process.platform === 'linux') {
      for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
        try {
          const id = readFileSync(file, 'utf8').trim();
          if (id) {
            attributes['host.id'] = id;
            break;
          }
        } catch {
          // Not there: try the next place, or go without host.id.
        }
      }
    }
    return { attributes };
  },
};

function detectorsFor(name: string, config: DistroConfig): ResourceDetector[] {
  switch (name) {
    case 'host':
      return [syncHostDetector];
    case 'os':
      return [osDetector];
    case 'process':
      return [processDetector];
    case 'serviceinstance':
      return [serviceInstanceIdDetector];
    case 'env':
      // Our own parse of OTEL_RESOURCE_ATTRIBUTES, which keeps the good entries when one is malformed.
      return [{ detect: () => ({ attributes: config.resourceAttributes }) }];
    default:
      return optionalDetectors(name);
  }
}

export function buildResource(config: DistroConfig): Resource {
  const detectors: ResourceDetector[] = [];
  for (const name of config.resourceDetectors) {
    try {
      detectors.push(...detectorsFor(name, config));
    } catch (err) {
      diag.warn(`resource detector "${name}" could not be loaded and is skipped:`, err);
    }
  }
  return defaultResource().merge(detectResources({ detectors }));
}

/**
 * The resource: the detectors the plan names (OTEL_NODE_RESOURCE_DETECTORS, no cloud probes by default; or a
 * configuration file's resource detection), then the plan's attributes (OTEL_RESOURCE_ATTRIBUTES and
 * OTEL_SERVICE_NAME, or the file's resource attributes), which win.
 */
import { readFileSync } from 'node:fs';
import { arch, hostname } from 'node:os';
import {
  defaultResource,
  detectResources,
  osDetector,
  processDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from '@opentelemetry/resources';
import type { Resource, ResourceDetector } from '@opentelemetry/resources';
import { diag } from '@opentelemetry/api';
import type { ResourcePlan } from './plan';
import { requireVia } from './resolve';

/** The cloud and container detectors ship with auto-instrumentations-node; loaded only when named. */
const OPTIONAL_DETECTORS: Record<string, [string, string[]]> = {
  container: ['@opentelemetry/resource-detector-container', ['containerDetector']],
  alibaba: ['@opentelemetry/resource-detector-alibaba-cloud', ['alibabaCloudEcsDetector']],
  aws: [
    '@opentelemetry/resource-detector-aws',
    ['awsEc2Detector', 'awsEcsDetector', 'awsEksDetector', 'awsBeanstalkDetector', 'awsLambdaDetector'],
  ],
  azure: [
    '@opentelemetry/resource-detector-azure',
    ['azureAppServiceDetector', 'azureFunctionsDetector', 'azureVmDetector'],
  ],
  gcp: ['@opentelemetry/resource-detector-gcp', ['gcpDetector']],
};

function optionalDetectors(name: string): ResourceDetector[] {
  const [pkg, exportNames] = OPTIONAL_DETECTORS[name]!;
  const exports = requireVia('@opentelemetry/auto-instrumentations-node', pkg) as Record<string, ResourceDetector>;
  return exportNames.map((n) => exports[n]).filter((d): d is ResourceDetector => d !== undefined);
}

const ARCH: Record<string, string> = {
  arm: 'arm32',
  arm64: 'arm64',
  ia32: 'x86',
  ppc: 'ppc32',
  ppc64: 'ppc64',
  s390x: 's390x',
  x64: 'amd64',
};

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

function detectorsFor(name: string): ResourceDetector[] {
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
      // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES: read by config.ts into the plan's attributes, applied last.
      return [];
    default:
      return optionalDetectors(name);
  }
}

/** The SDK's defaults, then the detectors in order, then the plan's own attributes, which win. */
export function buildResource(plan: ResourcePlan): Resource {
  const detectors: ResourceDetector[] = [];
  for (const name of plan.detectors) {
    try {
      detectors.push(...detectorsFor(name));
    } catch (err) {
      diag.warn(`resource detector "${name}" could not be loaded and is skipped:`, err);
    }
  }
  const schemaUrl = plan.schemaUrl === undefined ? undefined : { schemaUrl: plan.schemaUrl };
  return defaultResource()
    .merge(detectResources({ detectors }))
    .merge(resourceFromAttributes(plan.attributes, schemaUrl));
}

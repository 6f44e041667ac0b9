import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readManifests } from './kustomize.js';
import { headingAnchors } from './markdown-links.js';
import { readRepoFile, repoPath } from './repo.js';

// Every alert an operator can be paged for links the page that says what to do (docs/runbooks/).
// The runbook_url is the page's path in the repository, with a heading anchor where one page covers
// several alerts; a renamed page or heading would leave the on-call engineer at a dead link.

interface Rule {
  alert: string;
  annotations?: Record<string, string>;
}
const manifest = readManifests(repoPath('deploy/k8s/base/prometheusrule.yaml'))[0] as unknown as {
  spec: { groups: { rules: Rule[] }[] };
};
const alerts = manifest.spec.groups.flatMap((g) => g.rules).filter((r) => r.alert);

/** Why a runbook_url does not lead to a runbook heading, or undefined when it does. */
function unresolved(url: string | undefined): string | undefined {
  if (!url) return 'no runbook_url';
  const [path = '', anchor] = url.split('#', 2);
  if (!/^docs\/runbooks\/[a-z0-9-]+\.md$/.test(path)) return `${url} is not a page of docs/runbooks/`;
  if (!existsSync(repoPath(path))) return `${path} does not exist`;
  if (anchor !== undefined && !headingAnchors(readRepoFile(path)).has(anchor))
    return `${path} has no heading #${anchor}`;
  return undefined;
}

describe('runbooks', () => {
  it('finds the alerts, those issue 23 asks runbooks for among them', () => {
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining([
        'AiAgentsQueueBacklogAge',
        'AiAgentsWorkerDown',
        'AiAgentsApi5xxRate',
        'AiAgentsApiLatency',
        'AiAgentsServiceDeskRefusing',
        'AiAgentsTokenBudgetExhausted',
        'AiAgentsTenantWebhooksRejected',
        'AiAgentsWebhookTriggerBroken',
        'AiAgentsTenantBreakerOpen',
      ]),
    );
  });

  it.each(alerts.map((a) => [a.alert, a.annotations?.runbook_url] as const))(
    '%s has a runbook_url that resolves to a page (and heading) of docs/runbooks/',
    (_alert, url) => {
      expect(unresolved(url)).toBeUndefined();
    },
  );

  it('every runbook page says what it means, how to confirm it, what to do and how recovery shows', () => {
    const pages = readdirSync(repoPath('docs/runbooks')).filter((name) => name !== 'README.md');
    const missing = pages.flatMap((name) => {
      const text = readRepoFile(`docs/runbooks/${name}`);
      return [/what it means/i, /confirm/i, /what to do/i, /recovered when/i]
        .filter((section) => !section.test(text))
        .map((section) => `${name}: ${section.source}`);
    });
    expect(missing).toEqual([]);
  });

  it('the runbook index lists every alert', () => {
    const index = readRepoFile('docs/runbooks/README.md');
    expect(alerts.map((a) => a.alert).filter((alert) => !index.includes(`\`${alert}\``))).toEqual([]);
  });

  it('refuses a missing url, a page outside docs/runbooks/, a missing page and a missing heading', () => {
    expect(unresolved(undefined)).toBe('no runbook_url');
    expect(unresolved('docs/deploying.md')).toMatch(/not a page of docs\/runbooks/);
    expect(unresolved('docs/runbooks/no-such-page.md')).toMatch(/does not exist/);
    expect(unresolved('docs/runbooks/worker-failures.md#no-such-heading')).toMatch(/no heading/);
    expect(unresolved('docs/runbooks/worker-failures.md#jobs-fail-for-good')).toBeUndefined();
  });
});

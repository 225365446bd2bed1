/**
 * docs/multi-host.md shows the nginx configuration the multi-host browser test runs; this keeps the page equal to
 * what the template generates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOCS_EXAMPLE, nginxSiteConfig, nginxStandaloneConfig } from '../../scripts/lib/nginx-config.ts';

const docs = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'multi-host.md'), 'utf8');

describe('nginx configuration for several lab hosts', () => {
  it('docs/multi-host.md quotes the generated configuration as it is', () => {
    const block = /```nginx\n([\s\S]*?)```/.exec(docs)?.[1];
    expect(block).toBe(nginxSiteConfig(DOCS_EXAMPLE));
  });

  it('lists every host, keeps the browser\'s Host header and upgrades /lab', () => {
    const conf = nginxSiteConfig({ listen: '127.0.0.1:8080', hosts: ['127.0.0.1:4001', '127.0.0.1:4002'] });
    expect(conf).toMatch(/server 127\.0\.0\.1:4001 /);
    expect(conf).toMatch(/server 127\.0\.0\.1:4002 /);
    expect(conf).toContain('proxy_set_header Host $http_host;');
    expect(conf).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(conf).not.toContain('server_name');
    // nginx drops inherited proxy_set_header lines in a location that sets its own: none may.
    for (const location of conf.split(/^\s*location /m).slice(1)) expect(location).not.toContain('proxy_set_header');
    expect(() => nginxSiteConfig({ listen: '80', hosts: [] })).toThrow(/at least one/);
  });

  it('the standalone file keeps everything nginx writes inside its directory', () => {
    const conf = nginxStandaloneConfig({ dir: '/tmp/x', listen: '127.0.0.1:8080', hosts: ['127.0.0.1:4001'] });
    const paths = [...conf.matchAll(/^\s*(?:pid|error_log|access_log|\w+_temp_path)\s+(\S+?);?(?:\s|$)/gm)].map((m) => m[1]);
    expect(paths.length).toBeGreaterThanOrEqual(8);
    for (const p of paths) expect(p).toMatch(/^\/tmp\/x\//);
    // The site block the docs show, unchanged (only indented into the http block).
    for (const line of nginxSiteConfig({ listen: '127.0.0.1:8080', hosts: ['127.0.0.1:4001'] }).split('\n').filter(Boolean)) {
      expect(conf).toContain(`    ${line}\n`);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { planRuntimes, type LabHostInfo } from '../../playground/runtime/choose.ts';

const host = (joined: boolean, prefer: LabHostInfo['prefer'] = 'server'): LabHostInfo => ({ labHost: true, prefer, joined });
const can = { ok: true } as const;
const cannot = { ok: false, why: 'the page is not cross-origin isolated' } as const;

describe('runtime plan', () => {
  it('uses a lab host that prefers itself, once the browser has joined', () => {
    expect(planRuntimes('auto', host(true), can)).toEqual({ order: ['server'] });
    expect(planRuntimes('auto', host(true, 'webcontainer'), can)).toEqual({ order: ['webcontainer', 'server'] });
  });

  it('points a browser without the join link to it, falling back to the in-browser sandbox when it can', () => {
    expect(planRuntimes('auto', host(false), can)).toEqual({ order: ['webcontainer'], note: expect.stringMatching(/join link.*in your browser/) });
    expect(planRuntimes('auto', host(false), cannot)).toEqual({ order: [], note: expect.stringMatching(/needs your class's join link/) });
    expect(planRuntimes('server', host(false), can)).toEqual({ order: [], note: expect.stringMatching(/join link/) });
  });

  it('says so when neither runtime can run', () => {
    expect(planRuntimes('auto', undefined, cannot)).toEqual({ order: [], note: expect.stringMatching(/no lab host/) });
  });
});

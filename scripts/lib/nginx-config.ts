/**
 * nginx configuration for several lab hosts behind one address. docs/multi-host.md quotes `nginxSiteConfig()`'s
 * output for its example hosts (a unit test keeps the two equal), and the multi-host browser test runs real nginx
 * with `nginxStandaloneConfig()`, which wraps the same site block, so the documented configuration is the tested one.
 */

export interface NginxSiteOptions {
  /** What nginx listens on: `80`, `127.0.0.1:8080`, … */
  listen: string;
  /** The lab hosts, `address:port` each (what `npm start` listens on with HOST and PORT). */
  hosts: string[];
  /** `server_name`; omitted when not given. */
  serverName?: string;
}

/** The example the documentation shows. */
export const DOCS_EXAMPLE: NginxSiteOptions = {
  listen: '80',
  serverName: 'lab.example.org',
  hosts: ['10.0.0.11:4321', '10.0.0.12:4321'],
};

/** The `http { … }`-level blocks: the upgrade map, the upstream of lab hosts, and the server. */
export function nginxSiteConfig(options: NginxSiteOptions): string {
  if (options.hosts.length === 0) throw new Error('nginxSiteConfig needs at least one lab host');
  const servers = options.hosts.map((host) => `    server ${host} max_fails=1 fail_timeout=10s;`).join('\n');
  return `# Upgrade to a WebSocket when the browser asks for one; a plain request closes as usual.
map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
}

upstream stateless_lab_hosts {
    # Any host can serve any page and open any lab: the learner's files live in the browser. A new connection goes
    # to the host with the fewest open ones (each lab is one long-lived WebSocket). A host that refuses a
    # connection is skipped for 10 s and the next one is tried.
    least_conn;
${servers}
}

upstream stateless_lab_redis {
    # Hosted Redis for in-browser labs: the page creates a session (POST /redis-relay/session) and then opens
    # WebSockets to it, and only the host that made the session has it. The page sets a random lab_affinity
    # cookie first, so all of that lands on one host. If the host goes away, the page gets a new, empty session.
    hash $cookie_lab_affinity consistent;
${servers}
}

server {
    listen ${options.listen};
${options.serverName ? `    server_name ${options.serverName};\n` : ''}
    # Headers for every location, set here once: a location that sets any proxy_set_header of its own stops
    # inheriting all of these. Keep the Host the browser sent, port included: the lab host accepts a WebSocket only
    # from a page whose Origin matches it.
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
    proxy_connect_timeout 5s;
    proxy_next_upstream error timeout;

    # One WebSocket per lab. It is one TCP connection, so it stays on the host that accepted it.
    location = /lab {
        proxy_pass http://stateless_lab_hosts;
        # A lab can be quiet for a long time while the learner reads; do not cut it after nginx's default 60 s.
        proxy_read_timeout 1h;
        proxy_send_timeout 1h;
        proxy_buffering off;
    }

    # Hosted Redis sessions and their tunnelled connections (see the second upstream).
    location ^~ /redis-relay {
        proxy_pass http://stateless_lab_redis;
        proxy_read_timeout 1h;
        proxy_send_timeout 1h;
        proxy_buffering off;
    }

    # The course pages and their assets (the same files on every host).
    location / {
        proxy_pass http://stateless_lab_hosts;
        proxy_next_upstream error timeout http_502 http_503;
    }
}
`;
}

export interface NginxStandaloneOptions extends NginxSiteOptions {
  /** Every file nginx writes (pid, logs, temporary files) goes inside this directory. */
  dir: string;
}

/**
 * A whole nginx.conf that runs without root paths: `nginx -p <dir> -e <dir>/error.log -c <dir>/nginx.conf
 * -g 'daemon off;'`. The `http` block holds `nginxSiteConfig()` unchanged.
 */
export function nginxStandaloneConfig(options: NginxStandaloneOptions): string {
  const { dir } = options;
  const indent = (text: string) =>
    text
      .split('\n')
      .map((line) => (line ? `    ${line}` : line))
      .join('\n');
  return `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log notice;

events {
    worker_connections 512;
}

http {
    access_log ${dir}/access.log;
    client_body_temp_path ${dir}/tmp/client_body;
    proxy_temp_path ${dir}/tmp/proxy;
    fastcgi_temp_path ${dir}/tmp/fastcgi;
    uwsgi_temp_path ${dir}/tmp/uwsgi;
    scgi_temp_path ${dir}/tmp/scgi;

${indent(nginxSiteConfig(options))}
}
`;
}

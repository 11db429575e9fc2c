import { CredentialsError } from './errors.js';

/**
 * Keystone v3 password credentials, as SSC's `*-openrc.sh` exports them.
 * Holds the password: never print, log or write this object.
 */
export interface OpenStackCredentials {
  authUrl: string;
  username: string;
  password: string;
  region: string;
  project: { name: string } | { id: string };
  userDomain: { name: string } | { id: string };
  projectDomain: { name: string } | { id: string };
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the OS_* variables that `source *-openrc.sh` sets; throws CredentialsError naming every
 * missing one. Only Keystone v3 is supported (SSC's openrc files are v3).
 */
export function readCredentials(env: Env = process.env): OpenStackCredentials {
  const get = (k: string): string | undefined => {
    const v = env[k];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const missing: string[] = [];
  const need = (k: string): string => {
    const v = get(k);
    if (v === undefined) missing.push(k);
    return v ?? '';
  };
  const either = (a: string, b: string): { name: string } | { id: string } => {
    const name = get(a);
    const id = get(b);
    if (name !== undefined) return { name };
    if (id !== undefined) return { id };
    missing.push(`${a} (or ${b})`);
    return { name: '' };
  };
  const authUrl = need('OS_AUTH_URL');
  const username = need('OS_USERNAME');
  // Read the password without ever putting it into a message.
  const password = need('OS_PASSWORD');
  const project = either('OS_PROJECT_NAME', 'OS_PROJECT_ID');
  const userDomain = either('OS_USER_DOMAIN_NAME', 'OS_USER_DOMAIN_ID');
  const projectDomain = either('OS_PROJECT_DOMAIN_NAME', 'OS_PROJECT_DOMAIN_ID');
  const region = need('OS_REGION_NAME');
  if (missing.length > 0) throw new CredentialsError(missing);
  const version = get('OS_IDENTITY_API_VERSION');
  if (version !== undefined && version !== '3') {
    throw new CredentialsError(
      [],
      `OS_IDENTITY_API_VERSION is ${version}; only Keystone v3 (3) is supported.`,
    );
  }
  if (!/^https?:\/\/[^\s/]+/.test(authUrl)) {
    throw new CredentialsError(
      [],
      'OS_AUTH_URL must be an http(s) URL such as https://keystone.example.org:5000/v3',
    );
  }
  return { authUrl, username, password, region, project, userDomain, projectDomain };
}

/**
 * The Keystone base URL that pkgcloud wants: it appends `/v3/auth/tokens` itself, while openrc
 * files end OS_AUTH_URL in `/v3`, which would otherwise give `/v3/v3/auth/tokens`.
 */
export function keystoneBaseUrl(authUrl: string): string {
  return authUrl.replace(/\/+$/, '').replace(/\/v3$/, '');
}

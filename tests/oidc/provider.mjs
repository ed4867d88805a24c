// A real OpenID Connect provider (panva/oidc-provider) for the identity tests, on loopback.
//
// Usage: node provider.mjs config.json   (config: {port, clients: [...], accounts?: {...}})
// By hand, for the demo: node tests/oidc/provider.mjs tests/oidc/demo.json  (port 9000)
// Prints "ready <issuer>" once it listens. Static clients and accounts come from the config
// the pytest fixture writes. Login uses oidc-provider's development interactions (any password);
// consent is granted automatically for these first-party clients.
//
// Test hook, for the negative cases only: POST /__test__/mode {"mode": "..."} makes the NEXT
// token response carry a doctored ID token (wrong audience or issuer, expired, unsigned, HS256,
// or the ID token of an earlier sign-in), so the relying party is tried against a provider that
// misbehaves in exactly one way.
import * as crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;

function signingKey(type, options, alg, kid) {
  const { privateKey } = crypto.generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}
const rsaKey = signingKey('rsa', { modulusLength: 2048 }, 'RS256', 'civis-rsa');
const ecKey = signingKey('ec', { namedCurve: 'P-256' }, 'ES256', 'civis-ec');

// The accounts: from the config, else the shared test accounts (tests/oidc/accounts.json).
const accounts = config.accounts
  || JSON.parse(readFileSync(new URL('./accounts.json', import.meta.url), 'utf8'));
const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys: [rsaKey, ecKey] },
  cookies: { keys: ['civis-test-provider-cookie-key'] },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: account.sub || id, ...account.claims }) };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name', 'preferred_username'],
    civis: ['siret', 'groups'],
  },
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: true },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  async loadExistingGrant(ctx) {
    const existing = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (existing) {
      const grant = await ctx.oidc.provider.Grant.find(existing);
      if (grant) return grant;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
    await grant.save();
    return grant;
  },
  // The provider refuses outgoing calls to loopback (its SSRF guard); here the relying party
  // (the portal's live test server) IS on loopback, so back-channel calls skip the guard.
  fetch: (url, options) => fetch(url, { ...options, dispatcher: undefined }),
  ttl: { AccessToken: 300, AuthorizationCode: 60, IdToken: 300, Grant: 3600, Interaction: 600,
    Session: 3600 },
});

// --- the test hook ---------------------------------------------------------------------------
let mode = null;
let previousIdToken = null;
const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (part) => JSON.parse(Buffer.from(part, 'base64url').toString());

function sign(header, payload, secret) {
  const input = `${encode(header)}.${encode(payload)}`;
  if (header.alg === 'none') return `${input}.`;
  if (header.alg === 'HS256') {
    return `${input}.${crypto.createHmac('sha256', secret).update(input).digest('base64url')}`;
  }
  const key = crypto.createPrivateKey({ key: rsaKey, format: 'jwk' });
  return `${input}.${crypto.sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

function doctor(idToken, clientSecret) {
  const [headerPart, payloadPart] = idToken.split('.');
  const header = decode(headerPart);
  const payload = decode(payloadPart);
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'resign': return sign({ ...header, alg: 'RS256', kid: rsaKey.kid }, payload);
    case 'wrong-audience': return sign({ ...header, alg: 'RS256', kid: rsaKey.kid }, { ...payload, aud: 'another-client' });
    case 'wrong-issuer': return sign({ ...header, alg: 'RS256', kid: rsaKey.kid }, { ...payload, iss: 'http://127.0.0.1:1/evil' });
    case 'expired': return sign({ ...header, alg: 'RS256', kid: rsaKey.kid }, { ...payload, iat: now - 1200, exp: now - 600 });
    case 'alg-none': return sign({ typ: 'JWT', alg: 'none' }, payload);
    case 'hs256': return sign({ ...header, alg: 'HS256' }, payload, clientSecret);
    case 'replay': return previousIdToken || idToken;
    default: return idToken;
  }
}

provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && ctx.status === 200 && ctx.body && ctx.body.id_token) {
    const genuine = ctx.body.id_token;
    if (mode) {
      const client = config.clients.find((c) => c.client_id === ctx.oidc?.client?.clientId);
      ctx.body = { ...ctx.body, id_token: doctor(genuine, client?.client_secret) };
      mode = null;
    }
    previousIdToken = genuine;
  }
});

// Visible in the fixture's log file when a back-channel call fails.
provider.on('backchannel.error', (ctx, error, client) => {
  process.stderr.write(`backchannel.error ${client.clientId}: ${error.message} ${error.cause ? error.cause.message || error.cause.code : ""}\n`);
});
provider.on('backchannel.success', (ctx, client) => {
  process.stderr.write(`backchannel.success ${client.clientId}\n`);
});
provider.on('server_error', (ctx, error) => process.stderr.write(`server_error ${error.stack}\n`));

const handler = provider.callback();
const server = createServer((req, res) => {
  if (req.url === '/__test__/mode' && req.method === 'POST') {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      mode = JSON.parse(body || '{}').mode || null;
      res.writeHead(204).end();
    });
    return;
  }
  handler(req, res);
});
server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));

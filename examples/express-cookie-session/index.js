// The express cookie-session example: sign-in the way cookie-session's
// README sets it up.
//
// cookie-session keeps the whole session in the cookie: `session` holds
// {"user": name} as base64 JSON, readable by anyone, and `session.sig` its
// Keygrip signature (HMAC-SHA1 of "session=<value>" with keys[0]). Whoever
// knows the key writes any session he likes, so the key is the whole defense.
//
// Run it: `npm install && PORT=3002 node index.js`.
'use strict'

const crypto = require('crypto')
const express = require('express')
const cookieSession = require('cookie-session')

const app = express()
app.use(express.urlencoded({ extended: false }))
app.use(cookieSession({
  name: 'session',
  // DELIBERATELY WEAK: the keys published in cookie-session's README
  // (`keys: ['key1', 'key2']`), as apps copy them. They are on sessionlab's
  // list of published secrets (scenarios/wordlists/jwt-secrets.txt), so
  // forged-cookie cracks keys[0] offline and signs a session that says the
  // attacker is alice. A real app reads long random keys from its
  // environment: crypto.randomBytes(32).toString('hex').
  // SESSION_KEY overrides it (tests/express_cookie_session.rs checks that a
  // random key blocks the forgery).
  keys: process.env.SESSION_KEY ? [process.env.SESSION_KEY] : ['key1', 'key2'],
  httpOnly: true,
  sameSite: 'lax'
}))

// The two demo accounts of target.toml, stored as scrypt hashes.
function hash (password, salt = crypto.randomBytes(16)) {
  return { salt, key: crypto.scryptSync(password, salt, 32) }
}
const USERS = {
  alice: hash('alice-wonderland-2026'),
  bob: hash('bob-builder-2026')
}
const NOTES = {
  alice: "Alice's private note: the spare key is under the blue flowerpot.",
  bob: "Bob's private note: buy more cement."
}

function escape (text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function page (title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`
}

function loginPage (error) {
  return page('Sign in', `<h1>Sign in</h1>${error ? `<p>${error}</p>` : ''}
<form method="post" action="/login">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form>`)
}

app.get('/', (req, res) => {
  const user = req.session && req.session.user
  if (!Object.hasOwn(USERS, user || '')) return res.redirect('/login')
  res.send(page('Home', `<h1>Home</h1><p>Signed in as ${escape(user)}.</p>
<p>${escape(NOTES[user])}</p>
<form method="post" action="/logout"><button type="submit">Log out</button></form>`))
})

app.get('/login', (req, res) => res.send(loginPage()))

app.post('/login', (req, res) => {
  const name = String(req.body.username || '')
  const password = String(req.body.password || '')
  const stored = Object.hasOwn(USERS, name) ? USERS[name] : null
  if (stored && crypto.timingSafeEqual(hash(password, stored.salt).key, stored.key)) {
    req.session.user = name
    return res.redirect('/')
  }
  res.status(401).send(loginPage('Wrong username or password.'))
})

app.post('/logout', (req, res) => {
  req.session = null
  res.redirect('/login')
})

const port = Number(process.env.PORT || 3002)
app.listen(port, '127.0.0.1', () => {
  console.log(`express cookie-session example on http://127.0.0.1:${port}`)
})

// The seed article's app, as the article ends it: its final index.js, with
// every fix it made (cookie-parser, the secret read from .env by dotenv, an
// HttpOnly cookie with maxAge one hour and secure: false, a logout that
// destroys the session and clears connect.sid) and every weakness it kept
// (no regenerate() at login, no password check, no CSRF protection, no TLS).
//
// Deliberately vulnerable teaching material: it listens on 127.0.0.1 only.
// Two changes from the article, both for the test that attacks it: the port
// comes from PORT (the article hard-codes 3001, kept as the default), and it
// binds loopback instead of every interface.
//
// The article's own code is marked "article:"; the markup of its pages, which
// the article's text lost, is written here the plainest way.
require('dotenv').config(); // article: loads env variables
const express = require('express');
const session = require('express-session');
const cookieParser = require('cookie-parser');
const app = express();
const port = Number(process.env.PORT || 3001);

// article: Enable cookie parsing
app.use(cookieParser());

// article: Set up session middleware
app.use(session({
  secret: process.env.SESSION_SECRET,
  resave: false,
  saveUninitialized: true,
  cookie: {
    maxAge: 3600000, // Expires after 1 hour (in milliseconds)
    httpOnly: true, // Accessible only via HTTP(S)
    secure: false, // Sent only over HTTPS
  },
}));

// article: URL-encoded middleware
app.use(express.urlencoded({ extended: true }));

// article: Routes
app.get('/', (req, res) => {
  if (req.session.username) {
    res.send(`Welcome to the page, ${req.session.username}! <a href="/logout">Logout</a>`);
  } else {
    res.send('Welcome, Please <a href="/login">login</a>.');
  }
});

app.get('/login', (req, res) => {
  if (req.session.username) {
    res.redirect('/');
  } else {
    res.send(`
      <h1>Login</h1>
      <form method="post" action="/login">
        <label>Username <input type="text" name="username"></label>
        <label>Password <input type="password" name="password"></label>
        <button type="submit">Login</button>
      </form>
    `);
  }
});

// validate your username and password here
app.post('/login', (req, res) => {
  const { username, password } = req.body;
  req.session.username = username;
  req.password = password;
  res.redirect('/');
});

// article: the last route, the logout that destroys the session on the server
app.get('/logout', (req, res) => {
  req.session.destroy(err => {
    if (err) {
      console.log(err)
    } else {
      res.clearCookie('connect.sid');
      res.redirect('/');
    }
  });
});

app.listen(port, '127.0.0.1', () => {
  console.log(`Server listening on port ${port}`);
});

import express from 'express';
import session from 'express-session';

const app = express();
app.use(express.json());
const instance = process.env.INSTANCE_ID;

// The balancer keeps each user on one instance, so the built-in store seems to be enough.
app.use(
  session({
    secret: process.env.SESSION_SECRET ?? 'stateless-lab-secret',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 30 * 60 * 1000 },
  }),
);

app.post('/login', (req, res) => {
  const user = String(req.body?.user ?? '');
  if (!user) return res.status(400).json({ error: 'send {"user": "name"}', instance });
  req.session.user = user;
  res.json({ user, instance });
});

app.get('/me', (req, res) => {
  if (!req.session.user) return res.status(401).json({ error: 'not logged in', instance });
  res.json({ user: req.session.user, instance });
});

app.post('/logout', (req, res) => {
  req.session.destroy(() => {
    res.clearCookie('connect.sid');
    res.json({ ok: true, instance });
  });
});

app.listen(Number(process.env.PORT), (error) => {
  if (error) throw error;
  console.log(`instance ${instance} listening on ${process.env.PORT}`);
});

"""The Flask example: sign-in the way countless Flask tutorials write it.

Flask's default session lives in the cookie itself: the dict
``{"user": name}`` as JSON, signed (not encrypted) by itsdangerous with a
key derived from ``app.secret_key``. Whoever knows that key writes any
session he likes, so the key is the whole defense.

Run it: ``python3 -m venv .venv && .venv/bin/pip install -r requirements.txt``
then ``PORT=5000 .venv/bin/python app.py``.
"""

import os

from flask import Flask, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

app = Flask(__name__)
# DELIBERATELY WEAK: a secret copied from a tutorial, as many apps ship it.
# It is on sessionlab's list of published secrets
# (scenarios/wordlists/jwt-secrets.txt), so forged-cookie cracks it offline
# and signs a session that says the attacker is alice. A real app reads a
# long random key from its environment: secrets.token_hex(32).
app.secret_key = "super secret key"

# The two demo accounts of examples/flask-app/target.toml, stored hashed.
USERS = {
    "alice": generate_password_hash("alice-wonderland-2026"),
    "bob": generate_password_hash("bob-builder-2026"),
}
NOTES = {
    "alice": "Alice's private note: the spare key is under the blue flowerpot.",
    "bob": "Bob's private note: buy more cement.",
}


@app.get("/")
def home():
    user = session.get("user")
    if user not in USERS:
        return redirect(url_for("login"))
    return render_template("home.html", user=user, note=NOTES[user])


@app.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        name = request.form.get("username", "")
        password = request.form.get("password", "")
        stored = USERS.get(name)
        if stored is not None and check_password_hash(stored, password):
            session.clear()
            session["user"] = name
            return redirect(url_for("home"))
        error = "Wrong username or password."
    return render_template("login.html", error=error)


@app.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("login"))


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "5000")))

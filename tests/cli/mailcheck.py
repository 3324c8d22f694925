#!/usr/bin/python3
"""Check the alert and digest mails scripts/smtpd.py stored, with python's
email package.

    mailcheck.py MAILDIR            check every message; print one line each:
                                    MESSAGE-ID<TAB>FLAG<TAB>REV<TAB>RCPTS<TAB>SUBJECT
                                    (a digest: MESSAGE-ID<TAB>digest<TAB>KEY<TAB>...)
    mailcheck.py MAILDIR --show N   print message N's decoded subject and parts
                                    (a digest: also "attachment: FILENAME")

Each message must: parse; carry Date, From, To, Message-ID
<flag-ID.rREV.HASH@suqiu> agreeing with X-Suqiu-Flag and X-Suqiu-Revision;
have a Subject made only of RFC 2047 encoded words (UTF-8, base64, at most
75 characters each) on header lines of at most 76 characters; be
multipart/alternative with a text/plain and a text/html part in UTF-8;
have the envelope recipients of its To header; and show no full phone
number anywhere, decoded or not.  Exit status 1 on the first violation.

A digest (`digest --mail`, header X-Suqiu-Digest) instead has Message-ID
<digest-PERIOD.HASH@suqiu>, is multipart/mixed with the text digest inline
and the HTML report as a text/html attachment suqiu-digest-*.html, and a
subject saying 摘要; the rest is checked alike.
"""
import email
import email.policy
import email.utils
import glob
import json
import os
import re
import sys

MID = re.compile(r"^<flag-(\d+)\.r(\d+)\.[0-9a-f]{12}@suqiu>$")
DIGEST_MID = re.compile(r"^<digest-[0-9T]+(-[0-9T]+)?\.[0-9a-f]{12}@suqiu>$")
ATTACHMENT = re.compile(r"^suqiu-digest-[0-9T]+(-[0-9T]+)?(-[a-z-]+)?\.html$")
WORD = re.compile(r"=\?UTF-8\?B\?[A-Za-z0-9+/=]*\?=")
# 11-digit mobile numbers however spaced, and 7-8 digit fixed lines after an area code.
PHONE = re.compile(r"(?<!\d)1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")


def fail(path, msg):
    print(f"mailcheck: {os.path.basename(path)}: {msg}", file=sys.stderr)
    sys.exit(1)


def check(path):
    raw = open(path, "rb").read()
    meta = json.load(open(path[:-4] + ".json"))
    head, sep, _ = raw.partition(b"\r\n\r\n")
    if not sep:
        fail(path, "no CRLF CRLF between header and body")
    if b"\n" in raw.replace(b"\r\n", b""):
        fail(path, "a bare LF")
    lines = head.decode("ascii").split("\r\n")
    subject_lines, in_subject = [], False
    for line in lines:
        if line.startswith("Subject:"):
            in_subject = True
            subject_lines.append(line[len("Subject:"):])
        elif in_subject and line.startswith(" "):
            subject_lines.append(line)
        else:
            in_subject = False
        if in_subject and len(line) > 76:
            fail(path, f"subject line longer than 76: {line!r}")
    words = " ".join(subject_lines).split()
    if not words:
        fail(path, "no Subject")
    for w in words:
        if not WORD.fullmatch(w) or len(w) > 75:
            fail(path, f"not an RFC 2047 UTF-8 base64 word of <= 75 chars: {w!r}")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for h in ("Date", "From", "To", "Message-ID", "Subject"):
        if msg[h] is None:
            fail(path, f"no {h}")
    if email.utils.parsedate_to_datetime(str(msg["Date"])) is None:
        fail(path, "unreadable Date")
    digest = msg["X-Suqiu-Digest"] is not None
    if digest:
        texts = check_digest(path, msg)
    else:
        m = MID.match(str(msg["Message-ID"]).strip())
        if not m:
            fail(path, f"Message-ID {msg['Message-ID']!r} is not <flag-ID.rREV.HASH@suqiu>")
        if (m.group(1), m.group(2)) != (str(msg["X-Suqiu-Flag"]), str(msg["X-Suqiu-Revision"])):
            fail(path, "Message-ID and X-Suqiu-Flag/Revision disagree")
        if msg.get_content_type() != "multipart/alternative":
            fail(path, f"content type {msg.get_content_type()}")
        parts = {p.get_content_type(): p for p in msg.iter_parts()}
        if set(parts) != {"text/plain", "text/html"}:
            fail(path, f"parts {sorted(parts)}")
        texts = {}
        for ctype, p in parts.items():
            if p.get_content_charset() != "utf-8":
                fail(path, f"{ctype} charset {p.get_content_charset()}")
            texts[ctype] = p.get_content()
    subject = str(msg["Subject"])
    to = sorted(a for _, a in email.utils.getaddresses([str(msg["To"])]))
    if sorted(meta["rcpt_tos"]) != to:
        fail(path, f"envelope {meta['rcpt_tos']} but To {to}")
    for where, text in [("subject", subject), ("raw", raw.decode("utf-8", "replace"))] + \
            [(k, v) for k, v in texts.items() if k != "attachment"]:
        hit = PHONE.search(text)
        if hit:
            fail(path, f"full phone number {hit.group(0)!r} in {where}")
    mid = str(msg["Message-ID"]).strip()
    if digest:
        if "摘要" not in subject:
            fail(path, f"subject {subject!r} does not say 摘要")
        return mid, "digest", str(msg["X-Suqiu-Digest"]), ",".join(to), subject, texts
    if "预警" not in subject:
        fail(path, f"subject {subject!r} does not say 预警")
    return mid, m.group(1), m.group(2), ",".join(to), subject, texts


def check_digest(path, msg):
    """The digest's structure; its texts by type, and "attachment": the file name."""
    if not DIGEST_MID.match(str(msg["Message-ID"]).strip()):
        fail(path, f"Message-ID {msg['Message-ID']!r} is not <digest-PERIOD.HASH@suqiu>")
    if msg.get_content_type() != "multipart/mixed":
        fail(path, f"digest content type {msg.get_content_type()}")
    parts = list(msg.iter_parts())
    if [p.get_content_type() for p in parts] != ["text/plain", "text/html"]:
        fail(path, f"digest parts {[p.get_content_type() for p in parts]}")
    text, html = parts
    if text.get_content_disposition() not in (None, "inline"):
        fail(path, f"the text digest is not inline: {text.get_content_disposition()}")
    if html.get_content_disposition() != "attachment" or \
            not ATTACHMENT.match(html.get_filename() or ""):
        fail(path, f"the report is not attached as suqiu-digest-*.html: "
                   f"{html.get_content_disposition()} {html.get_filename()!r}")
    texts = {}
    for p in parts:
        if p.get_content_charset() != "utf-8":
            fail(path, f"{p.get_content_type()} charset {p.get_content_charset()}")
        texts[p.get_content_type()] = p.get_content()
    texts["attachment"] = html.get_filename()
    return texts


def main():
    d = sys.argv[1]
    files = sorted(glob.glob(os.path.join(d, "*.eml")))
    if len(sys.argv) > 3 and sys.argv[2] == "--show":
        mid, flag, rev, to, subject, texts = check(files[int(sys.argv[3]) - 1])
        print(subject)
        print(texts["text/plain"])
        if "attachment" in texts:
            print("attachment: " + texts["attachment"])
        print(texts["text/html"])
        return
    for f in files:
        mid, flag, rev, to, subject, _ = check(f)
        print(f"{mid}\t{flag}\t{rev}\t{to}\t{subject}")


if __name__ == "__main__":
    main()

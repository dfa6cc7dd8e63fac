#!/usr/bin/env python3
"""Runs a deduce-style de-identifier on the anonymiser corpus, for scripts/anonymiser-eval.

Usage: anonymiser-eval-deduce.py deduce|belgian_deduce CORPUS.jsonl OUT.jsonl
Writes one line per corpus sentence: {"spans": [[start, end, tag], ...]} in character
offsets, untagged (no patient names given), with each package's default configuration.
Checked against deduce 3.0.6 and belgian-deduce 5.0.0: both are docdeid 1.0.1
`DocDeid`s whose `deidentify(text)` returns a Document with `annotations`, each with
`start_char`, `end_char` (Python string offsets, that is characters) and `tag`.
Both log to standard output (deduce calls logging.basicConfig(stream=sys.stdout)), so
the spans go to OUT.jsonl, never to standard output.
"""
import importlib
import json
import sys

module, corpus, out = sys.argv[1:4]
Deduce = importlib.import_module(module).Deduce
deduce = Deduce()
with open(corpus, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as o:
    for line in f:
        text = json.loads(line)["text"]
        doc = deduce.deidentify(text)
        # doc.annotations is a set: sort, so that two runs write the same file.
        spans = sorted([a.start_char, a.end_char, a.tag] for a in doc.annotations)
        o.write(json.dumps({"spans": spans}) + "\n")

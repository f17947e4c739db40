"""Instructions per security context from a callgrind profile of negring-bench: the cost of
AcceptSecurityContext and DeleteSecurityContext (inclusive; collection toggled on in them only)
divided by the DeleteSecurityContext calls. Deterministic for a given binary and workload, so two
builds compare exactly where wall-clock figures on a shared machine do not.

usage: callgrind_per_context.py CALLGRIND_OUT LABEL"""
import re
import sys

names, calls, total, callee = {}, {"AcceptSecurityContext": 0, "DeleteSecurityContext": 0}, 0, None
with open(sys.argv[1]) as f:
    for line in f:
        m = re.match(r"(fn|cfn)=\((\d+)\)(?: (.*))?", line)
        if m:
            kind, ident, name = m.groups()
            if name:
                names[ident] = name.strip()
            if kind == "cfn":
                callee = names.get(ident)
            continue
        m = re.match(r"calls=(\d+)", line)
        if m and callee in calls:
            calls[callee] += int(m.group(1))
        m = re.match(r"(?:summary|totals): (\d+)", line)
        if m:
            total = int(m.group(1))
contexts = max(calls["DeleteSecurityContext"], 1)
print(f"| {sys.argv[2]} | {total} | {calls['AcceptSecurityContext']} | {contexts} "
      f"| {total / contexts:.0f} |")

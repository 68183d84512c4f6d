#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run the whole osiiso-glib bench suite (W1-W5 and their peers) at once.

  /usr/bin/python3 bench/run.py BUILDDIR [--quick] [--callgrind] [--out DIR]
                                [--only W1,W2,...] [--rounds N]

BUILDDIR is a release build with the benches built (this script builds
nothing):

  meson setup /tmp/b-bench . -Dbuildtype=release -Dgtk_doc=false
  ninja -C /tmp/b-bench bench-all

Every bench program of BUILDDIR/bench runs once, with --json, in this
order: W1, W2, W3, W4a (osiiso-bench-w4a), W4a-cli (bench/w4a-cli.sh: the
osiiso command against xargs -P2 and GNU parallel), W4b, W5; with
--callgrind, then bench/callgrind-w1.sh for W1's instructions per task.
Each program interleaves its cases (osiiso-glib and its peers, Python's
included) in shuffled rounds and reports every round; this script takes
the medians and the paired ratios (the median over rounds of
osiiso-case / peer in the same round, with p25-p75) of every osiiso-glib
case against every peer of its backend, checks them against the goals of
issue 10, and writes into --out (default /tmp/osiiso-bench/DATE-TIME/, one
directory per run, outside the source tree):

  report.txt    the text report printed on stdout
  results.json  every program's raw JSON and the computed figures
  ratios.svg    a plot of the paired ratios (log scale), goals marked
  logs/         every program's stderr (its per-round progress)

--quick (fewer rounds and smaller N where the figure is per task) finishes
in under 2 minutes on the 2-core reference machine. Requirements: the
Debian packages of the build, plus python3 (this script and the Python
peers: standard library only), valgrind (--callgrind), parallel (GNU
parallel, optional: skipped without it).
"""

import argparse
import datetime
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.abspath(__file__))

# workload -> (program args for the full run, for --quick)
PLANS = {
    'W1': (['--rounds', '7', '--tasks', '200000', '--py-tasks', '50000', '--process-tasks', '20000'],
           ['--rounds', '3', '--tasks', '200000', '--py-tasks', '20000', '--process-tasks', '5000']),
    'W2': (['--rounds', '7', '--tasks', '100000'],
           ['--rounds', '3', '--tasks', '100000']),
    'W3': (['--rounds', '7', '--tasks', '64', '--ms', '20'],
           ['--rounds', '3', '--tasks', '64', '--ms', '20']),
    'W4a': (['--rounds', '5', '--tasks', '2000'],
            ['--rounds', '3', '--tasks', '500']),
    'W4a-cli': (['--rounds', '5', '--tasks', '2000'],
                ['--rounds', '3', '--tasks', '500']),
    'W4b': (['--rounds', '5', '--requests', '100000', '--ppe-requests', '20000'],
            ['--rounds', '3', '--requests', '20000', '--ppe-requests', '5000']),
    'W5': (['--rounds', '3', '--tasks', '1000000', '--py-tasks', '200000'],
           ['--rounds', '1', '--tasks', '1000000', '--py-tasks', '100000']),
}
ORDER = ['W1', 'W2', 'W3', 'W4a', 'W4a-cli', 'W4b', 'W5']

W1_CALLGRIND_CASES = ['osiiso-thread-map', 'osiiso-thread-submit', 'gtp-resultq', 'gtp-excl',
                      'osiiso-async-map', 'osiiso-async-submit', 'gmain-idle-chain']
# Instructions per task (issue 10; perf-anchors.md §6 A1 for the async queue).
IR_GOALS = [
    ('osiiso-thread-map', 4000, 'issue 10: thread map <= 4,000 Ir/task (aim 3,000)'),
    ('osiiso-thread-submit', 6000, 'issue 10: thread submit with a handle <= 6,000 Ir/task'),
    ('osiiso-async-map', 8000, 'anchors A1: async queue <= ~8,000 Ir/task (1.2x gmain-gtask)'),
    ('osiiso-async-submit', 8000, 'anchors A1: async queue <= ~8,000 Ir/task (1.2x gmain-gtask)'),
]
# Reported, without a goal: where the process queue's parent-side cost is.
W1_CALLGRIND_EXTRA = ['osiiso-process-map', 'osiiso-process-submit']

UNITS = {'ns/task': 'ns/task', 'us/task': 'µs/task', 'us/request': 'µs/req', 's': 's',
         'wall/ideal': 'wall/ideal', 'B/task': 'B/task'}


# ---------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------

def quantile(values, q):
    """numpy's default (linear) quantile, as the C programs compute it."""
    v = sorted(values)
    if not v:
        return math.nan
    pos = q * (len(v) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (pos - lo) * (v[hi] - v[lo])


def summary(values):
    v = [x for x in values if x is not None and not math.isnan(x)]
    if not v:
        return None
    return {'median': quantile(v, 0.5), 'p25': quantile(v, 0.25), 'p75': quantile(v, 0.75),
            'min': min(v), 'max': max(v), 'n': len(v)}


def paired(a_runs, b_runs):
    ratios = [a / b for a, b in zip(a_runs, b_runs)
              if a is not None and b is not None and b > 0 and not math.isnan(a) and not math.isnan(b)]
    return summary(ratios)


# ---------------------------------------------------------------------------
# Running the programs
# ---------------------------------------------------------------------------

def loadavg():
    with open('/proc/loadavg') as f:
        return ' '.join(f.read().split()[:3])


def run(cmd, log_path, timeout):
    start = time.monotonic()
    with open(log_path, 'w') as log:
        log.write('$ ' + ' '.join(cmd) + '\n')
        log.flush()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=log, text=True, timeout=timeout)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise RuntimeError(f'{cmd[0]} exited with {proc.returncode}; see {log_path}')
    return proc.stdout, elapsed


def normalise_w4a(data):
    """osiiso-bench-w4a's JSON -> the suite's schema."""
    cases = {}
    for name, c in data['cases'].items():
        if c.get('skipped'):
            continue
        cases[name] = {'backend': 'command', 'osiiso': name == 'osiiso-command',
                       'runs': c['runs_us_per_task'],
                       'extra': {'cpu_us_per_task': c['runs_cpu_us_per_task']}}
    goals = [{'subject': 'osiiso-command', 'baseline': 'gsubprocess-pgroup', 'max': 1.0,
              'label': 'issue 10: command tasks <= 1.0x raw GSubprocess, same guarantees'},
             {'subject': 'osiiso-command', 'baseline': 'xargs-P2', 'max': 1.0,
              'label': 'issue 10 (aim): command tasks beat xargs -P2'}]
    return {'schema': 'osiiso-bench/1', 'workload': 'W4a', 'unit': 'us/task',
            'rounds': data['rounds'],
            'params': {k: data[k] for k in ('tasks', 'in_flight', 'seed', 'loadavg_before',
                                            'loadavg_after') if k in data},
            'cases': cases, 'goals': [g for g in goals if g['baseline'] in cases]}


def normalise_w4b(data):
    """osiiso-bench-w4b's JSON -> the suite's schema. It prints medians and
    its own paired ratios, not every round: the ratios are taken as given."""
    cases = {}
    for name, c in data['cases'].items():
        cases[name] = {'backend': 'process', 'osiiso': name == 'osiiso', 'runs': None,
                       'median': c['median_us_per_request'],
                       'extra_median': {k: v for k, v in c.items() if 'cpu' in k}}
    given = {}
    for label, r in data.get('ratios', {}).items():
        a, b = [s.strip() for s in label.split('/')]
        if a == 'osiiso':
            given[(a, b)] = r
        elif b == 'osiiso':     # peer / osiiso -> osiiso / peer
            given[(b, a)] = {'median': 1 / r['median'], 'p25': 1 / r['p75'], 'p75': 1 / r['p25']}
    goals = [{'subject': 'osiiso', 'baseline': 'raw-gio', 'max': 1.5,
              'label': 'issue 10: pool <= 1.5x the raw GIO round trip'},
             {'subject': 'osiiso', 'baseline': 'python-ppe', 'max': 0.2,
              'label': 'issue 10: pool >= 5x faster than ProcessPoolExecutor'}]
    return {'schema': 'osiiso-bench/1', 'workload': 'W4b', 'unit': 'us/request',
            'rounds': data['rounds'],
            'params': {k: data[k] for k in ('requests', 'ppe_requests', 'seed') if k in data},
            'cases': cases, 'given_ratios': {f'{a} / {b}': r for (a, b), r in given.items()},
            'goals': [g for g in goals if g['baseline'] in cases]}


def parse_w4a_cli(text, rounds, tasks):
    """bench/w4a-cli.sh prints text: medians in s and paired ratios."""
    cases, given = {}, {}
    for m in re.finditer(r'^\s+(\S+)\s+median\s+([\d.]+) s', text, re.M):
        name = 'osiiso-cli' if m.group(1) == 'osiiso' else m.group(1)
        cases[name] = {'backend': 'command', 'osiiso': name == 'osiiso-cli', 'runs': None,
                       'median': float(m.group(2)) / tasks * 1e6}
    for m in re.finditer(r'^\s+osiiso/(\S+)\s+paired ratio: median ([\d.]+)\s+\(min ([\d.]+), max ([\d.]+)',
                         text, re.M):
        given[f'osiiso-cli / {m.group(1)}'] = {'median': float(m.group(2)), 'min': float(m.group(3)),
                                               'max': float(m.group(4))}
    if 'osiiso-cli' not in cases:
        raise RuntimeError('w4a-cli.sh: unexpected output:\n' + text)
    return {'schema': 'osiiso-bench/1', 'workload': 'W4a-cli', 'unit': 'us/task', 'rounds': rounds,
            'params': {'tasks': tasks}, 'cases': cases, 'given_ratios': given,
            'goals': [{'subject': 'osiiso-cli', 'baseline': 'xargs', 'max': 1.0,
                       'label': 'own aim (issue 10 aims it at command tasks, W4a): the osiiso command beats xargs -P2'}],
            'text': text}


def run_callgrind(builddir, outdir, logs):
    if shutil.which('valgrind') is None:
        return {'skipped': 'valgrind is not installed (Debian package valgrind)'}
    env = dict(os.environ, OUTDIR=os.path.join(outdir, 'callgrind'))
    cmd = ['sh', os.path.join(SRC, 'callgrind-w1.sh'), builddir] + W1_CALLGRIND_CASES + W1_CALLGRIND_EXTRA
    start = time.monotonic()
    with open(os.path.join(logs, 'callgrind.log'), 'w') as log:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f'callgrind-w1.sh failed; see {logs}/callgrind.log')
    ir = {}
    for line in proc.stdout.splitlines():
        f = line.split()
        if len(f) == 5 and f[0] in W1_CALLGRIND_CASES + W1_CALLGRIND_EXTRA and f[4].isdigit():
            ir[f[0]] = {'ir_10k': int(f[1]), 'ir_20k': int(f[2]), 'ir_40k': int(f[3]),
                        'ir_per_task': int(f[4])}
    with open(os.path.join(logs, 'callgrind.log')) as log:
        warnings = [line.strip() for line in log if 'warning' in line]
    return {'cases': ir, 'elapsed_s': time.monotonic() - start, 'text': proc.stdout, 'warnings': warnings}


# ---------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------

def analyse(data):
    """Medians of every case and the paired ratio of every osiiso case
    against every peer of its backend; goals checked."""
    cases = data['cases']
    out = {'cases': {}, 'ratios': [], 'goals': []}
    for name, c in cases.items():
        s = summary(c['runs']) if c.get('runs') is not None else None
        if s is None and c.get('median') is not None:
            s = {'median': c['median'], 'p25': math.nan, 'p75': math.nan, 'n': None}
        entry = {'backend': c['backend'], 'osiiso': c['osiiso'], 'stats': s}
        for key, runs in (c.get('extra') or {}).items():
            es = summary(runs)
            if es:
                entry.setdefault('extra', {})[key] = es['median']
        if 'exact_order' in c:
            entry['exact_order'] = c['exact_order']
        out['cases'][name] = entry
    given = data.get('given_ratios', {})
    for a, ca in cases.items():
        if not ca['osiiso']:
            continue
        for b, cb in cases.items():
            if cb['osiiso'] or cb['backend'] != ca['backend']:
                continue
            if ca.get('runs') is not None and cb.get('runs') is not None:
                r = paired(ca['runs'], cb['runs'])
                how = 'paired'
            elif f'{a} / {b}' in given:
                r = dict(given[f'{a} / {b}'])
                how = 'paired (as printed by the program)'
            else:
                ma, mb = out['cases'][a]['stats'], out['cases'][b]['stats']
                r = {'median': ma['median'] / mb['median']} if ma and mb else None
                how = 'ratio of medians'
            if r:
                out['ratios'].append({'subject': a, 'peer': b, 'how': how, **r})
    for g in data.get('goals', []):
        subject = out['cases'].get(g['subject'])
        if subject is None or subject['stats'] is None:
            continue
        if g['baseline'] in ('ideal', 'value'):
            value = subject['stats']['median']
        else:
            match = [r for r in out['ratios'] if r['subject'] == g['subject'] and r['peer'] == g['baseline']]
            if not match:
                continue
            value = match[0]['median']
        met = value <= g['max']
        if 'exact_order' in subject and not subject['exact_order']:
            met = False
        out['goals'].append({**g, 'value': value, 'met': met})
    # Peer against peer, without a goal (e.g. W2: what handing each task
    # back to the owner costs a raw design, and what a GObject handle adds).
    out['peer_ratios'] = []
    for pr in data.get('peer_ratios', []):
        ca, cb = cases.get(pr['subject']), cases.get(pr['baseline'])
        if ca and cb and ca.get('runs') is not None and cb.get('runs') is not None:
            r = paired(ca['runs'], cb['runs'])
            if r:
                out['peer_ratios'].append({**pr, **r})
    return out


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

def fmt(x, unit=''):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return '-'
    if unit == 'wall/ideal' or abs(x) < 10:
        return f'{x:.3f}'
    if abs(x) < 1000:
        return f'{x:.1f}'
    return f'{x:,.0f}'


def fmt_ratio(r):
    s = f'{r["median"]:.3f}'
    if 'p25' in r and not math.isnan(r.get('p25', math.nan)):
        s += f'  ({r["p25"]:.3f}-{r["p75"]:.3f})'
    elif 'min' in r:
        s += f'  (min {r["min"]:.3f}, max {r["max"]:.3f})'
    return s


def report_workload(lines, name, data, result):
    unit = UNITS.get(data['unit'], data['unit'])
    params = data.get('params', {})
    head = f'{name}: ' + ', '.join(f'{k} {v}' for k, v in params.items()
                                   if k in ('tasks', 'py_tasks', 'requests', 'ppe_requests', 'task_ms',
                                            'in_flight'))
    lines.append(head + f'; {data["rounds"]} interleaved rounds')
    if 'loadavg_before' in params:
        lines.append(f'  load average during it: {params["loadavg_before"]} -> {params.get("loadavg_after", "?")}')
        try:
            peak = max(float(params['loadavg_before'].split()[0]), float(params['loadavg_after'].split()[0]))
        except (ValueError, IndexError, AttributeError):
            peak = 0
        if peak > (os.cpu_count() or 2) + 0.5:
            lines.append(f'  NOTE: the machine was loaded (1-min load {peak:g} on {os.cpu_count()} CPUs: '
                         f'others share it): absolute figures are inflated, W3\'s wall/ideal above all; '
                         f'read the paired ratios')
    backends = []
    for c in result['cases'].values():
        if c['backend'] not in backends:
            backends.append(c['backend'])
    for backend in backends:
        lines.append(f'  [{backend}]')
        extra_keys = []
        for c in result['cases'].values():
            for k in (c.get('extra') or {}):
                if c['backend'] == backend and k not in extra_keys:
                    extra_keys.append(k)
        header = f'    {"case":24} {"median " + unit:>18} {"p25-p75":>19}'
        for k in extra_keys:
            header += f' {k:>16}'
        lines.append(header)
        for cname, c in result['cases'].items():
            if c['backend'] != backend:
                continue
            s = c['stats'] or {}
            iqr = (f'{fmt(s.get("p25"), unit)}-{fmt(s.get("p75"), unit)}'
                   if s and not math.isnan(s.get('p25', math.nan)) else '')
            row = f'  {"*" if c["osiiso"] else " "} {cname:24} {fmt(s.get("median"), unit):>18} {iqr:>19}'
            for k in extra_keys:
                row += f' {fmt((c.get("extra") or {}).get(k)):>16}'
            if 'exact_order' in c:
                row += '   order ' + ('exact' if c['exact_order'] else 'WRONG')
            lines.append(row)
        rows = [r for r in result['ratios'] if result['cases'][r['subject']]['backend'] == backend]
        if rows:
            lines.append('    paired ratios (osiiso-glib / peer: median over rounds, p25-p75; < 1 = osiiso-glib better):')
            for r in rows:
                label = f'{r["subject"]} / {r["peer"]}'
                goal = [g for g in result['goals'] if g['subject'] == r['subject'] and g['baseline'] == r['peer']]
                tail = ''
                for g in goal:
                    tail += f'   goal <= {g["max"]:g}: {"met" if g["met"] else "MISSED"}'
                if r['how'] != 'paired':
                    tail += f'   [{r["how"]}]'
                lines.append(f'      {label:46} {fmt_ratio(r)}{tail}')
        rows = [r for r in result.get('peer_ratios', []) if result['cases'][r['subject']]['backend'] == backend]
        if rows:
            lines.append('    peer against peer (no goal):')
            for r in rows:
                label = f'{r["subject"]} / {r["baseline"]}'
                lines.append(f'      {label:46} {fmt_ratio(r)}   {r["label"]}')
    absolute = [g for g in result['goals'] if g['baseline'] in ('ideal', 'value')]
    for g in absolute:
        lines.append(f'  goal: {g["label"]}: {g["subject"]} = {fmt(g["value"], data["unit"])} '
                     f'-> {"met" if g["met"] else "MISSED"}')
    lines.append('')


def report_callgrind(lines, cg):
    lines.append('W1 under callgrind: marginal instructions per task, (Ir(40k) - Ir(20k)) / 20k')
    if 'skipped' in cg:
        lines.append('  skipped: ' + cg['skipped'])
        lines.append('')
        return []
    goals = []
    ir = cg['cases']
    for name in W1_CALLGRIND_CASES + W1_CALLGRIND_EXTRA:
        if name in ir:
            lines.append(f'    {name:24} {ir[name]["ir_per_task"]:>8,} Ir/task')
    for w in cg.get('warnings', []):
        lines.append('    ' + w)
    for name, peer in (('osiiso-thread-map', 'gtp-resultq'), ('osiiso-thread-submit', 'gtp-resultq'),
                       ('osiiso-async-map', 'gmain-idle-chain'), ('osiiso-async-submit', 'gmain-idle-chain')):
        if name in ir and peer in ir:
            lines.append(f'    {name} / {peer}: {ir[name]["ir_per_task"] / ir[peer]["ir_per_task"]:.2f}x in Ir/task')
    for name, limit, label in IR_GOALS:
        if name in ir:
            met = ir[name]['ir_per_task'] <= limit
            goals.append({'subject': name, 'baseline': 'value', 'max': limit, 'label': label,
                          'value': ir[name]['ir_per_task'], 'met': met})
            lines.append(f'  goal: {label}: {ir[name]["ir_per_task"]:,} -> {"met" if met else "MISSED"}')
    lines.append('')
    return goals


# ---------------------------------------------------------------------------
# The plot: SVG written by hand (no plotting library needed)
# ---------------------------------------------------------------------------

def esc(s):
    return s.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def write_svg(path, results, cg_goals, title):
    """One row per (workload, osiiso case, peer) paired ratio and per
    absolute goal, on a log axis from 0.01 to 100; the bar runs from 1 to
    the ratio, the whisker is p25-p75, a red tick marks the goal."""
    rows = []
    for wl, (data, res) in results.items():
        for r in res['ratios']:
            goal = next((g for g in res['goals'] if g['subject'] == r['subject'] and g['baseline'] == r['peer']), None)
            rows.append((wl, f'{r["subject"]} / {r["peer"]}', r['median'], r.get('p25'), r.get('p75'), goal))
        for g in res['goals']:
            if g['baseline'] in ('ideal', 'value'):
                scale = g['max']   # plotted as value / goal, so the goal sits at 1
                rows.append((wl, f'{g["subject"]} vs goal {g["max"]:g} {data["unit"]}',
                             g['value'] / scale, None, None, {**g, 'max': 1.0}))
    for g in cg_goals:
        rows.append(('W1 Ir', f'{g["subject"]} Ir/task vs goal {g["max"]:,}', g['value'] / g['max'],
                     None, None, {**g, 'max': 1.0}))

    lo, hi = math.log10(0.01), math.log10(100)
    left, width, row_h, top = 430, 520, 16, 60
    height = top + row_h * (len(rows) + 1) + 60

    def x(v):
        v = min(max(v, 10 ** lo), 10 ** hi)
        return left + (math.log10(v) - lo) / (hi - lo) * width

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 40}" height="{height}" '
           f'font-family="DejaVu Sans, sans-serif" font-size="11">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="20" font-size="14" font-weight="bold">{esc(title)}</text>',
           f'<text x="10" y="38" fill="#555">paired ratio osiiso-glib / peer (median over rounds, '
           f'whisker p25-p75), log scale; &lt; 1 = osiiso-glib better. Green: goal met, red: missed, '
           f'grey: no goal. Red tick: the goal.</text>']
    for v in (0.01, 0.1, 0.5, 1, 2, 10, 100):
        out.append(f'<line x1="{x(v):.1f}" y1="{top - 8}" x2="{x(v):.1f}" y2="{top + row_h * len(rows)}" '
                   f'stroke="{"#000" if v == 1 else "#ddd"}" stroke-width="{1.2 if v == 1 else 1}"/>')
        out.append(f'<text x="{x(v):.1f}" y="{top + row_h * len(rows) + 14}" text-anchor="middle">{v:g}</text>')
    last_wl = None
    for i, (wl, label, value, p25, p75, goal) in enumerate(rows):
        y = top + i * row_h
        if wl != last_wl:
            out.append(f'<line x1="10" y1="{y}" x2="{left + width}" y2="{y}" stroke="#999" stroke-dasharray="2,2"/>')
            last_wl = wl
        colour = '#999' if goal is None else ('#2a2' if goal['met'] else '#d22')
        out.append(f'<text x="10" y="{y + 12}" font-weight="bold">{esc(wl)}</text>')
        out.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{esc(label)}</text>')
        x0, x1 = sorted((x(1), x(value)))
        out.append(f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(x1 - x0, 1):.1f}" height="{row_h - 6}" fill="{colour}"/>')
        if p25 is not None and p75 is not None and not math.isnan(p25):
            out.append(f'<line x1="{x(p25):.1f}" y1="{y + row_h / 2}" x2="{x(p75):.1f}" y2="{y + row_h / 2}" '
                       f'stroke="#000" stroke-width="1"/>')
        if goal is not None:
            out.append(f'<line x1="{x(goal["max"]):.1f}" y1="{y + 1}" x2="{x(goal["max"]):.1f}" '
                       f'y2="{y + row_h - 1}" stroke="#d00" stroke-width="2"/>')
        out.append(f'<text x="{left + width + 4}" y="{y + 12}" font-size="9">{value:.3g}</text>')
    out.append('</svg>')
    with open(path, 'w') as f:
        f.write('\n'.join(out) + '\n')


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('builddir', help='a build directory with the benches built (ninja bench-all)')
    ap.add_argument('--quick', action='store_true', help='fewer rounds and tasks: under 2 minutes')
    ap.add_argument('--callgrind', action='store_true', help='also W1 instructions per task (valgrind)')
    ap.add_argument('--only', help='comma-separated workloads: ' + ','.join(ORDER) + ',callgrind')
    ap.add_argument('--rounds', type=int, help='override every program\'s rounds')
    ap.add_argument('--out', help='output directory (default /tmp/osiiso-bench/DATE-TIME)')
    ap.add_argument('--python', default='/usr/bin/python3', help='Python of the Python peers')
    args = ap.parse_args()

    builddir = os.path.abspath(args.builddir)
    bench = os.path.join(builddir, 'bench')
    programs = {'W1': 'osiiso-bench-w1', 'W2': 'osiiso-bench-w2', 'W3': 'osiiso-bench-w3',
                'W4a': 'osiiso-bench-w4a', 'W4b': 'osiiso-bench-w4b', 'W5': 'osiiso-bench-w5'}
    wanted = args.only.split(',') if args.only else ORDER + (['callgrind'] if args.callgrind else [])
    for w in wanted:
        if w not in ORDER and w != 'callgrind':
            ap.error(f'unknown workload {w}')
    missing = [p for w, p in programs.items() if w in wanted and not os.access(os.path.join(bench, p), os.X_OK)]
    if 'W4a-cli' in wanted and not os.access(os.path.join(builddir, 'tools', 'osiiso'), os.X_OK):
        missing.append('tools/osiiso')
    if missing:
        sys.exit(f'run.py: not built in {builddir}: {", ".join(missing)}\n'
                 f'  build first: ninja -C {builddir} bench-all')

    stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
    outdir = os.path.abspath(args.out or os.path.join(tempfile.gettempdir(), 'osiiso-bench',
                                                      stamp + ('-quick' if args.quick else '')))
    logs = os.path.join(outdir, 'logs')
    os.makedirs(logs, exist_ok=True)

    uptime_before = subprocess.run(['uptime'], stdout=subprocess.PIPE, text=True).stdout.strip()
    started = time.monotonic()
    raw, results, timings = {}, {}, {}
    py_args = ['--python', args.python]

    for w in ORDER:
        if w not in wanted:
            continue
        plan = list(PLANS[w][1 if args.quick else 0])
        if args.rounds:
            plan[plan.index('--rounds') + 1] = str(args.rounds)
        print(f'[{time.monotonic() - started:6.1f} s] {w} ...', file=sys.stderr, flush=True)
        if w == 'W4a-cli':
            cmd = ['bash', os.path.join(SRC, 'w4a-cli.sh'), '--osiiso', os.path.join(builddir, 'tools', 'osiiso')] + plan
            text, timings[w] = run(cmd, os.path.join(logs, 'W4a-cli.log'), 1800)
            data = parse_w4a_cli(text, int(plan[plan.index('--rounds') + 1]), int(plan[plan.index('--tasks') + 1]))
            raw[w] = text
        else:
            cmd = [os.path.join(bench, programs[w]), '--json'] + plan
            if w in ('W1', 'W2', 'W3', 'W5'):
                cmd += py_args
            elif w == 'W4b':
                cmd += ['--python', args.python]
            text, timings[w] = run(cmd, os.path.join(logs, f'{w}.log'), 1800)
            raw[w] = json.loads(text)
            data = {'W4a': normalise_w4a, 'W4b': normalise_w4b}.get(w, lambda d: d)(raw[w])
        results[w] = (data, analyse(data))

    cg = None
    if 'callgrind' in wanted:
        print(f'[{time.monotonic() - started:6.1f} s] W1 under callgrind ...', file=sys.stderr, flush=True)
        cg = run_callgrind(builddir, outdir, logs)
        timings['callgrind'] = cg.get('elapsed_s', 0)
    uptime_after = subprocess.run(['uptime'], stdout=subprocess.PIPE, text=True).stdout.strip()
    total = time.monotonic() - started

    glib = raw.get('W1', {}).get('params', {}).get('glib', '?') if isinstance(raw.get('W1'), dict) else '?'
    lines = [f'osiiso-glib bench suite, {stamp}{" (--quick)" if args.quick else ""}',
             f'build: {builddir}; GLib {glib}; {os.cpu_count()} CPUs; Python peers: {args.python} '
             + subprocess.run([args.python, '-c', 'import sys; print(sys.version.split()[0])'],
                              stdout=subprocess.PIPE, text=True).stdout.strip(),
             f'uptime before: {uptime_before}',
             f'uptime after:  {uptime_after}',
             f'total {total:.0f} s: ' + ', '.join(f'{k} {v:.0f} s' for k, v in timings.items()),
             '* = osiiso-glib case; figures are medians; ratios are paired (same round).', '']
    for w, (data, res) in results.items():
        report_workload(lines, w, data, res)
    cg_goals = report_callgrind(lines, cg) if cg is not None else []

    all_goals = [(w, g) for w, (_, res) in results.items() for g in res['goals']] + [('W1 Ir', g) for g in cg_goals]
    lines.append('Goals (issue 10; "anchors" = perf-anchors.md §6 where the issue sets none):')
    for w, g in all_goals:
        base = '' if g['baseline'] in ('ideal', 'value') else f' / {g["baseline"]}'
        lines.append(f'  {"met   " if g["met"] else "MISSED"}  {w:7} {g["subject"]}{base} = {g["value"]:.4g} '
                     f'(<= {g["max"]:.4g})  {g["label"]}')
    met = sum(1 for _, g in all_goals if g['met'])
    lines.append(f'  {met} of {len(all_goals)} met')
    text = '\n'.join(lines) + '\n'

    with open(os.path.join(outdir, 'report.txt'), 'w') as f:
        f.write(text)
    with open(os.path.join(outdir, 'results.json'), 'w') as f:
        json.dump({'stamp': stamp, 'quick': args.quick, 'builddir': builddir,
                   'uptime_before': uptime_before, 'uptime_after': uptime_after, 'timings_s': timings,
                   'raw': raw, 'normalised': {w: d for w, (d, _) in results.items()},
                   'analysis': {w: r for w, (_, r) in results.items()}, 'callgrind': cg}, f, indent=1)
    write_svg(os.path.join(outdir, 'ratios.svg'), results, cg_goals,
              f'osiiso-glib bench suite {stamp}{" (quick)" if args.quick else ""}: load {uptime_after.split("load average:")[-1].strip()}')
    sys.stdout.write(text)
    print(f'\nwritten: {outdir}/report.txt, results.json, ratios.svg, logs/', file=sys.stderr)


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Writes a unit roster .xlsx as a developer's sales office would send it (Chinese headers).

Usage: make-roster.py OUT.xlsx [ROWS] [FIRST_BUILDING]
ROWS must be a multiple of 500 (2 entrances x 25 floors x 10 units per building); the units go
into buildings FIRST_BUILDING, FIRST_BUILDING+1, ... (default 7, so 3,000 rows fill 7-12, none
of which the demo project has). About 5 % of units are unsold, 30 % have two buyers.
"""
import random
import sys

try:
    import openpyxl
except ImportError:
    import subprocess
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "openpyxl"])
    import openpyxl

out = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
first = int(sys.argv[3]) if len(sys.argv) > 3 else 7
PER_BUILDING = 2 * 25 * 10
if rows % PER_BUILDING:
    sys.exit(f"ROWS must be a multiple of {PER_BUILDING}")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "浩然", "子涵", "欣怡", "梓轩", "堃", "喆", "淼", "燚"]
LAYOUTS = [("A 三室两厅 89㎡", 89.56), ("B 三室两厅 115㎡", 115.32), ("C 四室两厅 128㎡", 128.07), ("D 四室两厅 143㎡", 143.88)]
rng = random.Random(2026)


def buyer():
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.5 else "")
    phone = rng.choice(["138", "139", "137", "150", "186", "189"]) + f"{rng.randrange(10**8):08d}"
    return name, phone


wb = openpyxl.Workbook()
ws = wb.active
ws.title = "房源"
ws.append(["楼栋", "单元", "楼层", "房号", "建筑面积", "户型", "业主姓名", "联系电话"])
for b in range(first, first + rows // PER_BUILDING):
    for e in (1, 2):
        for f in range(1, 26):
            for u in range(1, 11):
                layout, area = LAYOUTS[(u - 1) % len(LAYOUTS)]
                k = rng.randrange(100)
                buyers = [] if k < 5 else [buyer(), buyer()] if k < 35 else [buyer()]
                ws.append([
                    f"{b}号楼", f"{e}单元", f, f"{f}{u:02d}", area, layout,
                    "/".join(n for n, _ in buyers), "/".join(p for _, p in buyers),
                ])
wb.save(out)

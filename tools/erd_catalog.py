#!/usr/bin/env python3
"""Reads the ERD (docs/erd.md) and prints what the schema must contain, as TSV rows:

    column      <table> <column> <type as format_type() prints it> <NOT NULL: t|f>
    constraint  <table> <name>
    index       <table> <name>

The test test_schema_catalog compares these rows with the migrated database's catalog.
The ERD is read mechanically with the type rules of docs/schema-conventions.md; the few
places where the schema deliberately departs from the ERD's letter are listed in
DEPARTURES below, each one recorded in docs/schema.md.
"""
import re
import sys

TABLE_RE = re.compile(r'^\s*(%%\s*)?([a-z_]+)\s*\{\s*$')
COLUMN_RE = re.compile(
    r'^\s*(?:%%\s*)?(int\[\]|int|varchar(?:\(\d+\))?|numeric(?:\(\d+,\s*\d+\))?|timestamp|'
    r'boolean|jsonb|inet|text)\s+([a-z_0-9]+)(\[\])?((?:\s+(?:PK|FK|UK))*)\s*("?)(.*)$')
CONSTRAINT_RE = re.compile(r'^\s*CONSTRAINT\s+([a-z_0-9]+)\s')
INDEX_RE = re.compile(r'^\s*INDEX\s+([a-z_0-9]+)\s*\(')
SECTION_INDEX_RE = re.compile(r'^CREATE INDEX ([a-z_0-9]+) ON ([a-z_]+)')
SECTION_CONSTRAINT_RE = re.compile(r'^ALTER TABLE ([a-z_]+) ADD CONSTRAINT ([a-z_0-9]+)')

COMMENTED_OUT = object()

# (table, column) -> (type, not_null): where the schema departs from the ERD's letter.
# Each entry is a decision recorded in docs/schema.md.
DEPARTURES = {
    # polymorphic ids of rows in bigint-keyed tables
    ('user_activities', 'entity_id'): ('bigint', False),
    ('recommendations', 'target_entity_id'): ('bigint', False),
    # "NOT NULL" contradicted by "(if authenticated)"
    ('api_request_logs', 'user_id'): ('bigint', False),
    # The ERD's "NOT NULL" holds again since 011_scale_out: default watchlists ("null for
    # default" in the ERD) belong to the reserved system user 0 instead of NULL (Citus
    # refuses NULL in the distribution column). docs/schema.md, 011_scale_out.
    ('watchlists', 'user_id'): ('bigint', True),
}

# Columns the schema adds where the ERD's own constraints and indexes need them, or where
# a later decision needs them (each recorded in docs/schema.md).
ADDED_COLUMNS = {
    ('model_performance', 'valid_predictions'): ('integer', False),
    ('model_performance', 'evaluation_trigger'): ('character varying(20)', False),
    # 011_scale_out: the owner on per-user child tables, copied from the parent and
    # enforced by the composite foreign key (user_id, <parent>_id) -> parent (user_id, id);
    # the distribution column on Citus, and what the RLS policies compare without a
    # subquery. Part of the primary key (id, user_id).
    ('portfolio_assets', 'user_id'): ('bigint', True),
    ('trade_actions', 'user_id'): ('bigint', True),
    ('watchlist_assets', 'user_id'): ('bigint', True),
    ('ai_watchlist_analysis', 'user_id'): ('bigint', True),
    ('ai_portfolio_analysis', 'user_id'): ('bigint', True),
    ('ai_portfolio_asset_analysis', 'user_id'): ('bigint', True),
}

# The audit table of the ERD's security section, written in SQL there; the schema makes
# table_name, operation and changed_at NOT NULL (an audit row without them is useless).
AUDIT_LOG = [
    ('id', 'bigint', True), ('table_name', 'character varying(50)', True),
    ('operation', 'character varying(10)', True), ('old_values', 'jsonb', False),
    ('new_values', 'jsonb', False), ('changed_by', 'bigint', False),
    ('changed_at', 'timestamp with time zone', True),
]


def pg_type(erd_type, name, markers, description):
    is_key = name == 'id' or 'PK' in markers
    is_fk = 'FK' in markers or 'FK →' in description or 'REFERENCES' in description
    if erd_type == 'int':
        return 'bigint' if (is_key or is_fk) else 'integer'
    if erd_type.endswith('[]'):
        return pg_type(erd_type[:-2], name, markers, description) + '[]'
    if erd_type == 'timestamp':
        return 'timestamp with time zone'
    m = re.fullmatch(r'varchar(?:\((\d+)\))?', erd_type)
    if m:
        return 'character varying' + (f'({m.group(1)})' if m.group(1) else '')
    m = re.fullmatch(r'numeric(?:\((\d+),\s*(\d+)\))?', erd_type)
    if m:
        return 'numeric' + (f'({m.group(1)},{m.group(2)})' if m.group(1) else '')
    return erd_type


def parse(lines):
    rows, table, in_desc = [], None, False
    in_diagram = False
    for line in lines:
        if line.startswith('```mermaid'):
            in_diagram = True
            continue
        if in_diagram and line.startswith('```'):
            in_diagram = False
            continue
        if not in_diagram:
            m = SECTION_INDEX_RE.match(line)
            if m:
                rows.append(('index', m.group(2), m.group(1)))
            m = SECTION_CONSTRAINT_RE.match(line)
            if m:
                rows.append(('constraint', m.group(1), m.group(2)))
            continue
        if in_desc:                      # inside a multi-line "description"
            if '"' in line:
                in_desc = False
            continue
        m = TABLE_RE.match(line)
        if m:
            # A commented-out header (`%% model_audit_logs {`) withdraws the whole block.
            table = COMMENTED_OUT if m.group(1) else m.group(2)
            continue
        if table is None:
            continue
        if re.match(r'^\s*\}\s*$', line):
            table = None
            continue
        m = COLUMN_RE.match(line)
        if m and table == COMMENTED_OUT:
            if m.group(5) and m.group(6).count('"') == 0:
                in_desc = True
            continue
        if m:
            erd_type, name, array, markers, quote, rest = m.groups()
            if array:                    # `varchar(50) narrative_tag[]`
                erd_type += '[]'
            description = rest
            if quote and rest.count('"') == 0:
                in_desc = True           # description continues on later lines
            not_null = name == 'id' or 'PK' in markers or 'NOT NULL' in description
            rows.append(('column', table, name, pg_type(erd_type, name, markers, description),
                         't' if not_null else 'f'))
            continue
        if table == COMMENTED_OUT:
            continue
        m = CONSTRAINT_RE.match(line)
        if m:
            rows.append(('constraint', table, m.group(1)))
            continue
        m = INDEX_RE.match(line)
        if m:
            rows.append(('index', table, m.group(1)))
    return rows


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else 'docs/erd.md'
    with open(path, encoding='utf-8') as f:
        rows = parse(f.read().splitlines())
    out = []
    for row in rows:
        if row[0] == 'column' and (row[1], row[2]) in DEPARTURES:
            type_, not_null = DEPARTURES[(row[1], row[2])]
            row = ('column', row[1], row[2], type_, 't' if not_null else 'f')
        out.append(row)
    for (table, column), (type_, not_null) in ADDED_COLUMNS.items():
        last = max(i for i, r in enumerate(out) if r[0] == 'column' and r[1] == table)
        out.insert(last + 1, ('column', table, column, type_, 't' if not_null else 'f'))
    for name, type_, not_null in AUDIT_LOG:
        out.append(('column', 'audit_log', name, type_, 't' if not_null else 'f'))
    for row in out:
        print('\t'.join(row))


if __name__ == '__main__':
    main()

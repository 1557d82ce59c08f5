#!/usr/bin/env python3
# Regenerates testdata/compat/graphql: one before/after pair per rule with
# the rules that must fire (want), and a safe pair on which the rule must not.
import os, shutil
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'testdata', 'compat', 'graphql')
shutil.rmtree(root, ignore_errors=True)
base = '''type Query {
  order(id: ID!, tenant: String): Order
  orders(limit: Int = 10): [Order!]!
  search: Result
}
interface Node {
  id: ID!
}
type Order implements Node {
  id: ID!
  note: String @deprecated(reason: "use comment")
  status: Status!
  total: Float
}
type Refund {
  id: ID!
}
union Result = Order | Refund
enum Status {
  OPEN
  CLOSED
}
input NewOrder {
  item: String!
  qty: Int
}
'''
cases = [
 ('TYPE_REMOVED', base.replace('input NewOrder {\n  item: String!\n  qty: Int\n}\n', ''), ['TYPE_REMOVED'], None),
 ('TYPE_KIND_CHANGED', base.replace('input NewOrder {', 'type NewOrder {'), ['TYPE_KIND_CHANGED'], None),
 ('TYPE_ADDED', base + 'type Extra {\n  x: Int\n}\n', ['TYPE_ADDED'], None),
 ('FIELD_REMOVED', base.replace('  note: String @deprecated(reason: "use comment")\n', ''), ['FIELD_REMOVED'], None),
 ('FIELD_ADDED', base.replace('  total: Float\n', '  total: Float\n  currency: String\n'), ['FIELD_ADDED'], None),
 ('FIELD_TYPE_CHANGED', base.replace('  status: Status!\n', '  status: Status\n'), ['FIELD_TYPE_CHANGED'], base.replace('  total: Float\n', '  total: Float!\n')),
 ('FIELD_DEPRECATED', base.replace('  total: Float\n', '  total: Float @deprecated(reason: "use amount")\n'), ['FIELD_DEPRECATED'], None),
 ('INPUT_FIELD_REQUIRED_ADDED', base.replace('  qty: Int\n}', '  qty: Int\n  tenant: String!\n}'), ['INPUT_FIELD_REQUIRED_ADDED'], base.replace('  qty: Int\n}', '  qty: Int\n  tenant: String! = "default"\n}')),
 ('INPUT_FIELD_TYPE_CHANGED', base.replace('  qty: Int\n', '  qty: Int!\n'), ['INPUT_FIELD_TYPE_CHANGED'], base.replace('  item: String!\n', '  item: String\n')),
 ('ARGUMENT_REMOVED', base.replace('order(id: ID!, tenant: String)', 'order(id: ID!)'), ['ARGUMENT_REMOVED'], None),
 ('ARGUMENT_REQUIRED_ADDED', base.replace('orders(limit: Int = 10)', 'orders(limit: Int = 10, status: Status!)'), ['ARGUMENT_REQUIRED_ADDED'], None),
 ('ARGUMENT_ADDED', base.replace('orders(limit: Int = 10)', 'orders(limit: Int = 10, status: Status)'), ['ARGUMENT_ADDED'], None),
 ('ARGUMENT_TYPE_CHANGED', base.replace('tenant: String)', 'tenant: String!)'), ['ARGUMENT_TYPE_CHANGED'], base.replace('order(id: ID!,', 'order(id: ID,')),
 ('ARGUMENT_DEFAULT_CHANGED', base.replace('Int = 10', 'Int = 20'), ['ARGUMENT_DEFAULT_CHANGED'], None),
 ('ENUM_VALUE_REMOVED', base.replace('  CLOSED\n', ''), ['ENUM_VALUE_REMOVED'], None),
 ('ENUM_VALUE_ADDED', base.replace('  CLOSED\n', '  CLOSED\n  LOST\n'), ['ENUM_VALUE_ADDED'], None),
 ('UNION_MEMBER_REMOVED', base.replace('union Result = Order | Refund', 'union Result = Order'), ['UNION_MEMBER_REMOVED'], None),
 ('UNION_MEMBER_ADDED', base.replace('union Result = Order | Refund', 'union Result = Order | Refund | Extra') + 'type Extra {\n  x: Int\n}\n', ['TYPE_ADDED', 'UNION_MEMBER_ADDED'], None),
 ('OBJECT_INTERFACE_REMOVED', base.replace('type Order implements Node {', 'type Order {'), ['OBJECT_INTERFACE_REMOVED'], None),
]
for rule, after, want, safe in cases:
    d = os.path.join(root, rule)
    if safe is None:
        safe = base + '# a comment is not a change\n'
    for sub, txt in (('before', base), ('after', after), ('safe/before', base), ('safe/after', safe)):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
        open(os.path.join(d, sub, 'schema.graphql'), 'w').write(txt)
    open(os.path.join(d, 'want'), 'w').write('# the rules that must fire on before -> after\n' + ''.join(w + '\n' for w in sorted(want)))
print(len(cases))

#!/usr/bin/env python3
# Regenerates testdata/compat/proto: one before/after pair per rule with the
# rules that must fire (want), and a safe pair on which they must not.
import os, shutil, textwrap
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'testdata', 'compat', 'proto')
shutil.rmtree(root, ignore_errors=True)
P3 = 'syntax = "proto3";\npackage corpus.v1;\n'
P2 = 'syntax = "proto2";\npackage corpus.v1;\n'
def d(s): return textwrap.dedent(s).lstrip('\n')
cases = {}
def case(rule, before, after, want, safe_before=None, safe_after=None, cat='FILE'):
    if isinstance(before, str): before = {'a.proto': before}
    if isinstance(after, str): after = {'a.proto': after}
    if safe_before is None:
        safe_before = before
        safe_after = {k: v + '\n// a comment is not a change\n' for k, v in before.items()}
    if isinstance(safe_before, str): safe_before = {'a.proto': safe_before}
    if isinstance(safe_after, str): safe_after = {'a.proto': safe_after}
    cases[rule] = dict(before=before, after=after, want=want, safe_before=safe_before, safe_after=safe_after, cat=cat)

msg = P3 + d('''
message Order {
  string id = 1;
  int64 amount = 2;
  string note = 3;
}
''')
case('FILE_NO_DELETE', {'a.proto': msg, 'b.proto': P3 + 'message Extra { string x = 1; }\n'}, {'a.proto': msg}, ['FILE_NO_DELETE'])
case('FILE_ADDED', {'a.proto': msg}, {'a.proto': msg, 'b.proto': P3 + 'message Extra { string x = 1; }\n'}, ['FILE_ADDED', 'MESSAGE_ADDED'])
case('PACKAGE_NO_DELETE', {'a.proto': msg, 'b.proto': 'syntax = "proto3";\npackage other.v1;\nmessage Extra { string x = 1; }\n'}, {'a.proto': msg}, ['PACKAGE_NO_DELETE'], cat='PACKAGE')
case('FILE_SAME_PACKAGE', msg, msg.replace('package corpus.v1;', 'package moved.v1;'), ['FILE_SAME_PACKAGE', 'MESSAGE_ADDED'], cat='WIRE')
case('FILE_SAME_SYNTAX', P2 + 'message M { optional int32 a = 1; }\n', P3 + 'message M { optional int32 a = 1; }\n', ['FILE_SAME_SYNTAX'])
opts = [('FILE_SAME_GO_PACKAGE', 'go_package', '"example.com/a;a"', '"example.com/b;b"'),
        ('FILE_SAME_JAVA_PACKAGE', 'java_package', '"com.a"', '"com.b"'),
        ('FILE_SAME_JAVA_OUTER_CLASSNAME', 'java_outer_classname', '"A"', '"B"'),
        ('FILE_SAME_JAVA_MULTIPLE_FILES', 'java_multiple_files', 'false', 'true'),
        ('FIELD_SAME_JAVA_UTF8_VALIDATION', 'java_string_check_utf8', 'false', 'true'),
        ('FILE_SAME_JAVA_GENERIC_SERVICES', 'java_generic_services', 'false', 'true'),
        ('FILE_SAME_CC_GENERIC_SERVICES', 'cc_generic_services', 'false', 'true'),
        ('FILE_SAME_PY_GENERIC_SERVICES', 'py_generic_services', 'false', 'true'),
        ('FILE_SAME_CC_ENABLE_ARENAS', 'cc_enable_arenas', 'true', 'false'),
        ('FILE_SAME_OPTIMIZE_FOR', 'optimize_for', 'SPEED', 'CODE_SIZE'),
        ('FILE_SAME_OBJC_CLASS_PREFIX', 'objc_class_prefix', '"AB"', '"CD"'),
        ('FILE_SAME_CSHARP_NAMESPACE', 'csharp_namespace', '"A.B"', '"C.D"'),
        ('FILE_SAME_SWIFT_PREFIX', 'swift_prefix', '"AB"', '"CD"'),
        ('FILE_SAME_PHP_CLASS_PREFIX', 'php_class_prefix', '"AB"', '"CD"'),
        ('FILE_SAME_PHP_NAMESPACE', 'php_namespace', '"A\\\\B"', '"C\\\\D"'),
        ('FILE_SAME_PHP_METADATA_NAMESPACE', 'php_metadata_namespace', '"A\\\\B"', '"C\\\\D"'),
        ('FILE_SAME_RUBY_PACKAGE', 'ruby_package', '"A::B"', '"C::D"')]
for rule, name, a, b in opts:
    pre = P2 if name in ('cc_generic_services', 'java_generic_services', 'py_generic_services', 'java_string_check_utf8') else P3
    bf = pre + 'option %s = %s;\nmessage M { optional string a = 1; }\n' % (name, a)
    af = pre + 'option %s = %s;\nmessage M { optional string a = 1; }\n' % (name, b)
    case(rule, bf, af, [rule])
two = P3 + d('''
message Order {
  string id = 1;
}
message Extra {
  string x = 1;
}
''')
moved_a = P3 + 'message Order {\n  string id = 1;\n}\n'
moved_b = P3 + 'message Extra {\n  string x = 1;\n}\n'
case('MESSAGE_NO_DELETE', two, moved_a, ['MESSAGE_NO_DELETE'], safe_before=two, safe_after=two.replace('string x = 1;', 'string x = 1;\n  string y = 2;'))
case('MESSAGE_ADDED', moved_a, two, ['MESSAGE_ADDED'])
case('PACKAGE_MESSAGE_NO_DELETE', two, moved_a, ['PACKAGE_MESSAGE_NO_DELETE'], safe_before={'a.proto': two}, safe_after={'a.proto': moved_a, 'b.proto': moved_b}, cat='PACKAGE')
en = P3 + d('''
message Order {
  string id = 1;
}
enum Color {
  COLOR_UNSPECIFIED = 0;
  COLOR_RED = 1;
}
''')
case('ENUM_NO_DELETE', en, moved_a, ['ENUM_NO_DELETE'])
case('ENUM_ADDED', moved_a, en, ['ENUM_ADDED'])
case('PACKAGE_ENUM_NO_DELETE', en, moved_a, ['PACKAGE_ENUM_NO_DELETE'], safe_before={'a.proto': en}, safe_after={'a.proto': moved_a, 'b.proto': P3 + 'enum Color {\n  COLOR_UNSPECIFIED = 0;\n  COLOR_RED = 1;\n}\n'}, cat='PACKAGE')
svc = P3 + d('''
message Req {
  string id = 1;
}
message Resp {
  string id = 1;
}
message Other {
  string id = 1;
}
service Orders {
  rpc Get(Req) returns (Resp);
  rpc List(Req) returns (Resp);
}
''')
nosvc = svc[:svc.index('service Orders')]
case('SERVICE_NO_DELETE', svc, nosvc, ['SERVICE_NO_DELETE'])
case('SERVICE_ADDED', nosvc, svc, ['SERVICE_ADDED'])
case('PACKAGE_SERVICE_NO_DELETE', svc, nosvc, ['PACKAGE_SERVICE_NO_DELETE'], safe_before={'a.proto': svc}, safe_after={'a.proto': nosvc, 'b.proto': 'syntax = "proto3";\npackage corpus.v1;\nimport "a.proto";\nservice Orders {\n  rpc Get(Req) returns (Resp);\n  rpc List(Req) returns (Resp);\n}\n'}, cat='PACKAGE')
case('RPC_NO_DELETE', svc, svc.replace('  rpc List(Req) returns (Resp);\n', ''), ['RPC_NO_DELETE'])
case('RPC_ADDED', svc.replace('  rpc List(Req) returns (Resp);\n', ''), svc, ['RPC_ADDED'])
case('RPC_SAME_REQUEST_TYPE', svc, svc.replace('rpc Get(Req)', 'rpc Get(Other)'), ['RPC_SAME_REQUEST_TYPE'])
case('RPC_SAME_RESPONSE_TYPE', svc, svc.replace('rpc Get(Req) returns (Resp)', 'rpc Get(Req) returns (Other)'), ['RPC_SAME_RESPONSE_TYPE'])
case('RPC_SAME_CLIENT_STREAMING', svc, svc.replace('rpc Get(Req)', 'rpc Get(stream Req)'), ['RPC_SAME_CLIENT_STREAMING'])
case('RPC_SAME_SERVER_STREAMING', svc, svc.replace('returns (Resp);\n  rpc List', 'returns (stream Resp);\n  rpc List'), ['RPC_SAME_SERVER_STREAMING'])
case('RPC_SAME_IDEMPOTENCY_LEVEL', svc, svc.replace('rpc Get(Req) returns (Resp);', 'rpc Get(Req) returns (Resp) {\n    option idempotency_level = NO_SIDE_EFFECTS;\n  }'), ['RPC_SAME_IDEMPOTENCY_LEVEL'])
ext = P2 + d('''
message Base {
  optional int32 a = 1;
  extensions 100 to 200;
}
extend Base {
  optional int32 extra = 100;
}
''')
noext = ext[:ext.index('extend Base')]
case('EXTENSION_NO_DELETE', ext, noext, ['EXTENSION_NO_DELETE'])
case('PACKAGE_EXTENSION_NO_DELETE', ext, noext, ['PACKAGE_EXTENSION_NO_DELETE'], safe_before={'a.proto': ext}, safe_after={'a.proto': noext, 'b.proto': 'syntax = "proto2";\npackage corpus.v1;\nimport "a.proto";\nextend Base {\n  optional int32 extra = 100;\n}\n'}, cat='PACKAGE')
case('EXTENSION_MESSAGE_NO_DELETE', noext, noext.replace('  extensions 100 to 200;\n', ''), ['EXTENSION_MESSAGE_NO_DELETE'], safe_before=noext, safe_after=noext.replace('100 to 200', '100 to 300'))
case('FIELD_NO_DELETE', msg, msg.replace('  string note = 3;\n', ''), ['FIELD_NO_DELETE'], safe_before=msg, safe_after=msg.replace('  string note = 3;\n', '  string note = 3;\n  string extra = 4;\n'))
case('FIELD_ADDED', msg, msg.replace('  string note = 3;\n', '  string note = 3;\n  string extra = 4;\n'), ['FIELD_ADDED'])
case('FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED', msg, msg.replace('  string note = 3;\n', ''), ['FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED'], safe_before=msg, safe_after=msg.replace('  string note = 3;\n', '  reserved 3;\n'), cat='WIRE')
case('FIELD_NO_DELETE_UNLESS_NAME_RESERVED', msg, msg.replace('  string note = 3;\n', '  reserved 3;\n'), ['FIELD_NO_DELETE_UNLESS_NAME_RESERVED'], safe_before=msg, safe_after=msg.replace('  string note = 3;\n', '  reserved 3;\n  reserved "note";\n'), cat='WIRE_JSON')
case('FIELD_SAME_NAME', msg, msg.replace('string note = 3;', 'string remark = 3 [json_name = "note"];'), ['FIELD_SAME_NAME'], cat='WIRE_JSON')
case('FIELD_SAME_JSON_NAME', msg, msg.replace('string note = 3;', 'string note = 3 [json_name = "remark"];'), ['FIELD_SAME_JSON_NAME'], safe_before=msg, safe_after=msg.replace('string note = 3;', 'string note = 3 [json_name = "note"];'))
case('FIELD_SAME_TYPE', msg, msg.replace('int64 amount', 'int32 amount'), ['FIELD_SAME_TYPE'])
case('FIELD_WIRE_JSON_COMPATIBLE_TYPE', msg, msg.replace('string note', 'bytes note'), ['FIELD_WIRE_JSON_COMPATIBLE_TYPE'], cat='WIRE_JSON')
case('FIELD_WIRE_COMPATIBLE_TYPE', msg, msg.replace('int64 amount', 'string amount'), ['FIELD_WIRE_COMPATIBLE_TYPE'], safe_before=msg, safe_after=msg.replace('int64 amount', 'uint64 amount'), cat='WIRE')
case('FIELD_SAME_CARDINALITY', msg, msg.replace('string note', 'repeated string note'), ['FIELD_SAME_CARDINALITY'])
case('FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY', msg, msg.replace('string note', 'repeated string note'), ['FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY'], safe_before=msg, safe_after=msg.replace('string note', 'optional string note'), cat='WIRE_JSON')
case('FIELD_WIRE_COMPATIBLE_CARDINALITY', msg, msg.replace('int64 amount', 'repeated int64 amount'), ['FIELD_WIRE_COMPATIBLE_CARDINALITY'], safe_before=msg, safe_after=msg.replace('string note', 'optional string note'), cat='WIRE')
oneof = P3 + d('''
message Sub {
  string x = 1;
}
message Order {
  string id = 1;
  Sub sub = 2;
  oneof kind {
    Sub a = 3;
    Sub b = 4;
  }
}
''')
case('FIELD_SAME_ONEOF', oneof, oneof.replace('  Sub sub = 2;\n  oneof kind {\n', '  oneof kind {\n    Sub sub = 2;\n'), ['FIELD_SAME_ONEOF'], safe_before=oneof, safe_after=oneof.replace('    Sub b = 4;\n', '    Sub b = 4;\n    Sub c = 5;\n'))
case('ONEOF_NO_DELETE', oneof, oneof.replace('  oneof kind {\n    Sub a = 3;\n    Sub b = 4;\n  }\n', '  Sub a = 3;\n  Sub b = 4;\n'), ['FIELD_SAME_ONEOF', 'ONEOF_NO_DELETE'])
dflt = P2 + 'message M {\n  optional int32 a = 1 [default = 5];\n}\n'
case('FIELD_SAME_DEFAULT', dflt, dflt.replace('default = 5', 'default = 6'), ['FIELD_SAME_DEFAULT'], safe_before=dflt, safe_after=dflt.replace('}\n', '  optional int32 b = 2 [default = 7];\n}\n'))
case('FIELD_SAME_JSTYPE', P3 + 'message M {\n  int64 a = 1;\n}\n', P3 + 'message M {\n  int64 a = 1 [jstype = JS_STRING];\n}\n', ['FIELD_SAME_JSTYPE'], safe_before=P3 + 'message M {\n  int64 a = 1;\n}\n', safe_after=P3 + 'message M {\n  int64 a = 1 [jstype = JS_NORMAL];\n}\n')
case('FIELD_SAME_CPP_STRING_TYPE', P2 + 'message M {\n  optional string a = 1;\n}\n', P2 + 'message M {\n  optional string a = 1 [ctype = CORD];\n}\n', ['FIELD_SAME_CPP_STRING_TYPE'], safe_before=P2 + 'message M {\n  optional string a = 1;\n}\n', safe_after=P2 + 'message M {\n  optional string a = 1 [ctype = STRING];\n}\n')
req = P2 + 'message M {\n  optional int32 a = 1;\n}\n'
case('MESSAGE_SAME_REQUIRED_FIELDS', req, req.replace('}\n', '  required int32 b = 2;\n}\n'), ['FIELD_ADDED', 'MESSAGE_SAME_REQUIRED_FIELDS'], safe_before=req, safe_after=req.replace('}\n', '  optional int32 b = 2;\n}\n'))
ms = P2 + 'message M {\n  option message_set_wire_format = true;\n  extensions 4 to max;\n}\n'
case('MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT', ms, ms.replace('  option message_set_wire_format = true;\n', ''), ['MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT'])
case('MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR', req, req.replace('message M {\n', 'message M {\n  option no_standard_descriptor_accessor = true;\n'), ['MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR'], safe_before=req, safe_after=req.replace('message M {\n', 'message M {\n  option no_standard_descriptor_accessor = false;\n'))
res = P3 + 'message M {\n  string a = 1;\n  reserved 5, 8 to 10;\n  reserved "old";\n}\n'
case('RESERVED_MESSAGE_NO_DELETE', res, res.replace('  reserved 5, 8 to 10;\n', '  reserved 8 to 10;\n'), ['RESERVED_MESSAGE_NO_DELETE'], safe_before=res, safe_after=res.replace('8 to 10', '8 to 12'), cat='WIRE')
enum = P3 + d('''
enum Color {
  COLOR_UNSPECIFIED = 0;
  COLOR_RED = 1;
  COLOR_BLUE = 2;
}
''')
case('ENUM_VALUE_NO_DELETE', enum, enum.replace('  COLOR_BLUE = 2;\n', ''), ['ENUM_VALUE_NO_DELETE'])
case('ENUM_VALUE_ADDED', enum, enum.replace('  COLOR_BLUE = 2;\n', '  COLOR_BLUE = 2;\n  COLOR_GREEN = 3;\n'), ['ENUM_VALUE_ADDED'])
case('ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED', enum, enum.replace('  COLOR_BLUE = 2;\n', ''), ['ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED'], safe_before=enum, safe_after=enum.replace('  COLOR_BLUE = 2;\n', '  reserved 2;\n'), cat='WIRE')
case('ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED', enum, enum.replace('  COLOR_BLUE = 2;\n', '  reserved 2;\n'), ['ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED'], safe_before=enum, safe_after=enum.replace('  COLOR_BLUE = 2;\n', '  reserved 2;\n  reserved "COLOR_BLUE";\n'), cat='WIRE_JSON')
case('ENUM_VALUE_SAME_NAME', enum, enum.replace('COLOR_BLUE = 2', 'COLOR_NAVY = 2'), ['ENUM_VALUE_SAME_NAME'], safe_before=enum, safe_after=enum.replace('enum Color {\n', 'enum Color {\n  option allow_alias = true;\n').replace('  COLOR_BLUE = 2;\n', '  COLOR_BLUE = 2;\n  COLOR_NAVY = 2;\n'))
ed = 'edition = "2023";\npackage corpus.v1;\nenum Color {\n  COLOR_UNSPECIFIED = 0;\n  COLOR_RED = 1;\n}\n'
case('ENUM_SAME_TYPE', ed, ed.replace('enum Color {\n', 'enum Color {\n  option features.enum_type = CLOSED;\n'), ['ENUM_SAME_TYPE'])
E = 'edition = "2023";\npackage corpus.v1;\n'
emsg = E + 'message M {\n  string s = 1;\n}\n'
case('FIELD_SAME_UTF8_VALIDATION', emsg, emsg.replace('string s = 1;', 'string s = 1 [features.utf8_validation = NONE];'), ['FIELD_SAME_JAVA_UTF8_VALIDATION', 'FIELD_SAME_UTF8_VALIDATION'], safe_before=emsg, safe_after=emsg.replace('string s = 1;', 'string s = 1 [features.utf8_validation = VERIFY];'))
case('MESSAGE_SAME_JSON_FORMAT', emsg, emsg.replace('message M {\n', 'message M {\n  option features.json_format = LEGACY_BEST_EFFORT;\n'), ['MESSAGE_SAME_JSON_FORMAT'], safe_before=emsg.replace('message M {\n', 'message M {\n  option features.json_format = LEGACY_BEST_EFFORT;\n'), safe_after=emsg, cat='WIRE_JSON')
eenum = E + 'enum Color {\n  COLOR_UNSPECIFIED = 0;\n}\n'
case('ENUM_SAME_JSON_FORMAT', eenum, eenum.replace('enum Color {\n', 'enum Color {\n  option features.json_format = LEGACY_BEST_EFFORT;\n'), ['ENUM_SAME_JSON_FORMAT'], safe_before=eenum.replace('enum Color {\n', 'enum Color {\n  option features.json_format = LEGACY_BEST_EFFORT;\n'), safe_after=eenum, cat='WIRE_JSON')
renum = enum.replace('  COLOR_BLUE = 2;\n', '  COLOR_BLUE = 2;\n  reserved 5, 8 to 10;\n  reserved "COLOR_OLD";\n')
case('RESERVED_ENUM_NO_DELETE', renum, renum.replace('  reserved "COLOR_OLD";\n', ''), ['RESERVED_ENUM_NO_DELETE'], safe_before=renum, safe_after=renum.replace('8 to 10', '8 to 12'), cat='WIRE')

for rule, c in cases.items():
    base = os.path.join(root, rule)
    for side in ('before', 'after', 'safe_before', 'safe_after'):
        dirn = os.path.join(base, side.replace('safe_', 'safe/'))
        os.makedirs(dirn, exist_ok=True)
        for name, content in c[side].items():
            open(os.path.join(dirn, name), 'w').write(content)
    with open(os.path.join(base, 'want'), 'w') as f:
        f.write('# category the pair is checked under, then the rules that must fire\n')
        f.write('category: %s\n' % c['cat'])
        for w in sorted(c['want']):
            f.write(w + '\n')
print(len(cases))

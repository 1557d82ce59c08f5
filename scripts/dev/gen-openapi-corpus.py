#!/usr/bin/env python3
# Regenerates testdata/compat/openapi: one before/after pair per rule with
# the rules that must fire (want), and a safe pair on which the rule must not.
import os, shutil, json
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'testdata', 'compat', 'openapi')
shutil.rmtree(root, ignore_errors=True)

def base():
    return {
        'openapi': '3.0.3',
        'info': {'title': 'corpus', 'version': '1.0.0'},
        'paths': {
            '/orders/{id}': {
                'get': {
                    'operationId': 'getOrder',
                    'parameters': [
                        {'name': 'id', 'in': 'path', 'required': True, 'schema': {'type': 'string'}},
                        {'name': 'verbose', 'in': 'query', 'schema': {'type': 'boolean'}},
                    ],
                    'responses': {
                        '200': {'description': 'ok', 'headers': {'X-Rate': {'required': True, 'schema': {'type': 'integer'}}},
                                'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Order'}}}},
                        '404': {'description': 'missing'},
                    },
                },
                'delete': {'operationId': 'deleteOrder', 'responses': {'204': {'description': 'gone'}}},
            },
            '/orders': {
                'post': {
                    'operationId': 'createOrder',
                    'requestBody': {'content': {'application/json': {'schema': {'$ref': '#/components/schemas/NewOrder'}}}},
                    'responses': {'201': {'description': 'created', 'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Order'}}}}},
                },
            },
        },
        'components': {
            'securitySchemes': {'key': {'type': 'apiKey', 'in': 'header', 'name': 'X-Key'}, 'oauth': {'type': 'oauth2', 'flows': {'clientCredentials': {'tokenUrl': 'https://example.com/token', 'scopes': {'read': 'r', 'write': 'w'}}}}},
            'schemas': {
                'Order': {'allOf': [{'$ref': '#/components/schemas/Base'}, {'type': 'object', 'required': ['status', 'total'], 'properties': {
                    'status': {'type': 'string', 'enum': ['open', 'closed']},
                    'total': {'type': 'number', 'maximum': 1000},
                    'note': {'type': 'string', 'maxLength': 200},
                    'created': {'type': 'string', 'format': 'date-time'},
                    'payment': {'oneOf': [{'$ref': '#/components/schemas/Card'}, {'$ref': '#/components/schemas/Cash'}]},
                }}]},
                'Base': {'type': 'object', 'required': ['id'], 'properties': {'id': {'type': 'string'}}},
                'Card': {'type': 'object', 'properties': {'number': {'type': 'string'}}},
                'Cash': {'type': 'object', 'properties': {'amount': {'type': 'number'}}},
                'Voucher': {'type': 'object', 'properties': {'code': {'type': 'string'}}},
                'NewOrder': {'type': 'object', 'required': ['item'], 'properties': {
                    'item': {'type': 'string', 'maxLength': 100, 'pattern': '^[a-z]+$'},
                    'qty': {'type': 'integer', 'enum': [1, 2, 3], 'minimum': 1},
                    'note': {'type': 'string'},
                    'when': {'type': 'string'},
                    'pay': {'oneOf': [{'$ref': '#/components/schemas/Card'}, {'$ref': '#/components/schemas/Cash'}]},
                }},
            },
        },
    }

cases = {}
def case(rule, mutate, want, safe=None):
    cases[rule] = (mutate, want, safe)

P = lambda d: d['paths']
G = lambda d: d['paths']['/orders/{id}']['get']
S = lambda d, n: d['components']['schemas'][n]
O = lambda d: S(d, 'Order')['allOf'][1]
N = lambda d: S(d, 'NewOrder')
def addpath(d): P(d)['/health'] = {'get': {'responses': {'200': {'description': 'ok'}}}}

case('PATH_REMOVED', lambda d: P(d).pop('/orders'), ['PATH_REMOVED'], safe=lambda d: G(d)['parameters'][0].update(name='orderId') or P(d).update({'/orders/{orderId}': P(d).pop('/orders/{id}')}))
case('PATH_ADDED', addpath, ['PATH_ADDED'])
case('OPERATION_REMOVED', lambda d: P(d)['/orders/{id}'].pop('delete'), ['OPERATION_REMOVED'])
case('OPERATION_ADDED', lambda d: P(d)['/orders'].update(get={'responses': {'200': {'description': 'ok'}}}), ['OPERATION_ADDED'])
case('OPERATION_DEPRECATED', lambda d: P(d)['/orders/{id}']['delete'].update(deprecated=True), ['OPERATION_DEPRECATED'])
case('REQUEST_PARAMETER_REQUIRED_ADDED', lambda d: G(d)['parameters'].append({'name': 'X-Tenant', 'in': 'header', 'required': True, 'schema': {'type': 'string'}}), ['REQUEST_PARAMETER_REQUIRED_ADDED'],
     safe=lambda d: G(d)['parameters'].append({'name': 'X-Tenant', 'in': 'header', 'schema': {'type': 'string'}}))
case('REQUEST_PARAMETER_BECAME_REQUIRED', lambda d: G(d)['parameters'][1].update(required=True), ['REQUEST_PARAMETER_BECAME_REQUIRED'], safe=lambda d: G(d)['parameters'][1].update(required=False))
case('REQUEST_PARAMETER_REMOVED', lambda d: G(d)['parameters'].pop(1), ['REQUEST_PARAMETER_REMOVED'])
case('REQUEST_PARAMETER_ADDED', lambda d: G(d)['parameters'].append({'name': 'page', 'in': 'query', 'schema': {'type': 'integer'}}), ['REQUEST_PARAMETER_ADDED'])
case('REQUEST_BODY_REQUIRED_ADDED', lambda d: P(d)['/orders/{id}']['delete'].update(requestBody={'required': True, 'content': {'application/json': {'schema': {'type': 'object'}}}}), ['REQUEST_BODY_REQUIRED_ADDED'],
     safe=lambda d: P(d)['/orders/{id}']['delete'].update(requestBody={'content': {'application/json': {'schema': {'type': 'object'}}}}))
case('REQUEST_BODY_BECAME_REQUIRED', lambda d: P(d)['/orders']['post']['requestBody'].update(required=True), ['REQUEST_BODY_BECAME_REQUIRED'], safe=lambda d: P(d)['/orders']['post']['requestBody'].update(required=False))
case('REQUEST_MEDIA_TYPE_REMOVED', lambda d: P(d)['/orders']['post']['requestBody'].update(content={'application/xml': {'schema': {'type': 'object'}}}), ['REQUEST_MEDIA_TYPE_REMOVED'],
     safe=lambda d: P(d)['/orders']['post']['requestBody']['content'].update({'application/xml': {'schema': {'type': 'object'}}}))
case('REQUEST_PROPERTY_REQUIRED_ADDED', lambda d: N(d)['properties'].update(tenant={'type': 'string'}) or N(d)['required'].append('tenant'), ['REQUEST_PROPERTY_REQUIRED_ADDED'])
case('REQUEST_PROPERTY_BECAME_REQUIRED', lambda d: N(d)['required'].append('note'), ['REQUEST_PROPERTY_BECAME_REQUIRED'], safe=lambda d: N(d)['required'].remove('item'))
case('REQUEST_PROPERTY_REMOVED', lambda d: N(d)['properties'].pop('note'), ['REQUEST_PROPERTY_REMOVED'])
case('REQUEST_PROPERTY_ADDED', lambda d: N(d)['properties'].update(tenant={'type': 'string'}), ['REQUEST_PROPERTY_ADDED'])
case('REQUEST_TYPE_CHANGED', lambda d: N(d)['properties']['note'].update(type='integer'), ['REQUEST_TYPE_CHANGED'], safe=lambda d: N(d)['properties']['note'].update(nullable=True))
case('REQUEST_FORMAT_CHANGED', lambda d: N(d)['properties']['when'].update(format='date-time'), ['REQUEST_FORMAT_CHANGED'])
case('REQUEST_ENUM_VALUE_REMOVED', lambda d: N(d)['properties']['qty'].update(enum=[1, 2]), ['REQUEST_ENUM_VALUE_REMOVED'], safe=lambda d: N(d)['properties']['qty'].update(enum=[1, 2, 3, 4]))
case('REQUEST_CONSTRAINT_NARROWED', lambda d: N(d)['properties']['item'].update(maxLength=50), ['REQUEST_CONSTRAINT_NARROWED'], safe=lambda d: N(d)['properties']['item'].update(maxLength=150))
case('REQUEST_ALTERNATIVE_REMOVED', lambda d: N(d)['properties']['pay'].update(oneOf=[{'$ref': '#/components/schemas/Card'}]), ['REQUEST_ALTERNATIVE_REMOVED'],
     safe=lambda d: N(d)['properties']['pay']['oneOf'].append({'$ref': '#/components/schemas/Voucher'}))
case('RESPONSE_SUCCESS_CODE_REMOVED', lambda d: P(d)['/orders/{id}']['delete']['responses'].update({'200': {'description': 'gone'}}) or P(d)['/orders/{id}']['delete']['responses'].pop('204'), ['RESPONSE_CODE_ADDED', 'RESPONSE_SUCCESS_CODE_REMOVED'])
case('RESPONSE_NON_SUCCESS_CODE_REMOVED', lambda d: G(d)['responses'].pop('404'), ['RESPONSE_NON_SUCCESS_CODE_REMOVED'])
case('RESPONSE_CODE_ADDED', lambda d: G(d)['responses'].update({'410': {'description': 'gone'}}), ['RESPONSE_CODE_ADDED'])
case('RESPONSE_MEDIA_TYPE_REMOVED', lambda d: G(d)['responses']['200'].update(content={'application/xml': {'schema': {'$ref': '#/components/schemas/Order'}}}), ['RESPONSE_MEDIA_TYPE_REMOVED'],
     safe=lambda d: G(d)['responses']['200']['content'].update({'application/xml': {'schema': {'$ref': '#/components/schemas/Order'}}}))
case('RESPONSE_REQUIRED_PROPERTY_REMOVED', lambda d: O(d)['properties'].pop('total') and O(d)['required'].remove('total'), ['RESPONSE_REQUIRED_PROPERTY_REMOVED'])
case('RESPONSE_PROPERTY_BECAME_OPTIONAL', lambda d: O(d)['required'].remove('total'), ['RESPONSE_PROPERTY_BECAME_OPTIONAL'], safe=lambda d: O(d)['required'].append('note'))
case('RESPONSE_OPTIONAL_PROPERTY_REMOVED', lambda d: O(d)['properties'].pop('note'), ['RESPONSE_OPTIONAL_PROPERTY_REMOVED'])
case('RESPONSE_PROPERTY_ADDED', lambda d: O(d)['properties'].update(tag={'type': 'string'}), ['RESPONSE_PROPERTY_ADDED'])
case('RESPONSE_TYPE_CHANGED', lambda d: O(d)['properties']['total'].update(type='string'), ['RESPONSE_TYPE_CHANGED'], safe=lambda d: O(d)['properties']['total'].update(type='integer'))
case('RESPONSE_FORMAT_CHANGED', lambda d: O(d)['properties']['created'].update(format='date'), ['RESPONSE_FORMAT_CHANGED'], safe=lambda d: O(d)['properties']['note'].update(format='uuid'))
case('RESPONSE_ENUM_VALUE_ADDED', lambda d: O(d)['properties']['status'].update(enum=['open', 'closed', 'lost']), ['RESPONSE_ENUM_VALUE_ADDED'], safe=lambda d: O(d)['properties']['status'].update(enum=['open']))
case('RESPONSE_CONSTRAINT_WIDENED', lambda d: O(d)['properties']['total'].update(maximum=5000), ['RESPONSE_CONSTRAINT_WIDENED'], safe=lambda d: O(d)['properties']['total'].update(maximum=500))
case('RESPONSE_ALTERNATIVE_ADDED', lambda d: O(d)['properties']['payment']['oneOf'].append({'$ref': '#/components/schemas/Voucher'}), ['RESPONSE_ALTERNATIVE_ADDED'],
     safe=lambda d: O(d)['properties']['payment'].update(oneOf=[{'$ref': '#/components/schemas/Card'}]))
case('RESPONSE_HEADER_REMOVED', lambda d: G(d)['responses']['200'].pop('headers'), ['RESPONSE_HEADER_REMOVED'])
case('SECURITY_REQUIREMENT_CHANGED', lambda d: G(d).update(security=[{'key': []}]), ['SECURITY_REQUIREMENT_CHANGED'], safe=None)
case('SECURITY_REQUIREMENT_REMOVED', lambda d: d.pop('security'), ['SECURITY_REQUIREMENT_REMOVED'])

def with_security(d):
    d['security'] = [{'oauth': ['read']}, {'key': []}]
    return d

import yaml
for rule, (mutate, want, safe) in cases.items():
    before = base()
    if rule.startswith('SECURITY'):
        with_security(before)
    after = json.loads(json.dumps(before))
    mutate(after)
    sb = json.loads(json.dumps(before))
    sa = json.loads(json.dumps(before))
    if safe:
        safe(sa)
    else:
        sa['info']['description'] = 'a description is not a change'
    d = os.path.join(root, rule)
    for sub, doc in (('before', before), ('after', after), ('safe/before', sb), ('safe/after', sa)):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
        with open(os.path.join(d, sub, 'openapi.yaml'), 'w') as f:
            yaml.safe_dump(doc, f, sort_keys=False)
    with open(os.path.join(d, 'want'), 'w') as f:
        f.write('# the rules that must fire on before -> after\n' + ''.join(w + '\n' for w in sorted(want)))
print(len(cases))

package protocompat

import (
	"strings"

	"github.com/msctl/msctl/internal/compat"
)

// The categories, from strictest to most lenient, as buf defines them:
// FILE breaks generated code per file, PACKAGE per package, WIRE_JSON the
// binary or JSON encoding, WIRE the binary encoding alone.
const (
	CatFile     = "FILE"
	CatPackage  = "PACKAGE"
	CatWireJSON = "WIRE_JSON"
	CatWire     = "WIRE"
)

// Categories lists the accepted --category values.
var Categories = []string{"file", "package", "wire_json", "wire"}

var (
	fileOnly = []string{CatFile}
	pkgOnly  = []string{CatPackage}
	filePkg  = []string{CatFile, CatPackage}
	fpJSON   = []string{CatFile, CatPackage, CatWireJSON}
	all4     = []string{CatFile, CatPackage, CatWireJSON, CatWire}
	wireBoth = []string{CatWireJSON, CatWire}
)

func rule(id string, cats []string, summary string) compat.Rule {
	return compat.Rule{ID: id, Severity: compat.Breaking, Categories: cats, Summary: summary}
}

func added(id, summary string) compat.Rule {
	return compat.Rule{ID: id, Severity: compat.Safe, Categories: all4, Summary: summary}
}

// The rules. IDs match buf's where buf has the rule, so a team moving from
// `buf breaking` keeps its exclusions.
var (
	FileNoDelete        = rule("FILE_NO_DELETE", fileOnly, "files are not deleted")
	FileSamePackage     = rule("FILE_SAME_PACKAGE", all4, "files keep their package")
	FileSameSyntax      = rule("FILE_SAME_SYNTAX", filePkg, "files keep their syntax (proto2, proto3, editions)")
	PackageNoDelete     = rule("PACKAGE_NO_DELETE", pkgOnly, "packages are not deleted")
	MessageNoDelete     = rule("MESSAGE_NO_DELETE", fileOnly, "messages are not deleted from a file")
	EnumNoDelete        = rule("ENUM_NO_DELETE", fileOnly, "enums are not deleted from a file")
	ServiceNoDelete     = rule("SERVICE_NO_DELETE", fileOnly, "services are not deleted from a file")
	ExtensionNoDelete   = rule("EXTENSION_NO_DELETE", fileOnly, "extensions are not deleted from a file")
	PackageMessageNoDel = rule("PACKAGE_MESSAGE_NO_DELETE", pkgOnly, "messages are not deleted from a package")
	PackageEnumNoDel    = rule("PACKAGE_ENUM_NO_DELETE", pkgOnly, "enums are not deleted from a package")
	PackageServiceNoDel = rule("PACKAGE_SERVICE_NO_DELETE", pkgOnly, "services are not deleted from a package")
	PackageExtNoDel     = rule("PACKAGE_EXTENSION_NO_DELETE", pkgOnly, "extensions are not deleted from a package")

	FieldNoDelete             = rule("FIELD_NO_DELETE", filePkg, "fields are not deleted")
	FieldNoDeleteUnlessNumber = rule("FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED", wireBoth, "fields are not deleted unless their number is reserved")
	FieldNoDeleteUnlessName   = rule("FIELD_NO_DELETE_UNLESS_NAME_RESERVED", []string{CatWireJSON}, "fields are not deleted unless their name is reserved")
	FieldSameName             = rule("FIELD_SAME_NAME", fpJSON, "fields keep their name")
	FieldSameJSONName         = rule("FIELD_SAME_JSON_NAME", fpJSON, "fields keep their JSON name")
	FieldSameType             = rule("FIELD_SAME_TYPE", filePkg, "fields keep their type")
	FieldWireJSONCompatType   = rule("FIELD_WIRE_JSON_COMPATIBLE_TYPE", []string{CatWireJSON}, "fields keep a wire- and JSON-compatible type")
	FieldWireCompatType       = rule("FIELD_WIRE_COMPATIBLE_TYPE", []string{CatWire}, "fields keep a wire-compatible type")
	FieldSameCardinality      = rule("FIELD_SAME_CARDINALITY", filePkg, "fields keep their cardinality (implicit, optional, required, repeated, map)")
	FieldWireJSONCompatCard   = rule("FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY", []string{CatWireJSON}, "fields keep a wire- and JSON-compatible cardinality")
	FieldWireCompatCard       = rule("FIELD_WIRE_COMPATIBLE_CARDINALITY", []string{CatWire}, "fields keep a wire-compatible cardinality")
	FieldSameOneof            = rule("FIELD_SAME_ONEOF", all4, "fields stay in (or out of) the same oneof")
	FieldSameDefault          = rule("FIELD_SAME_DEFAULT", all4, "fields keep their default value")
	FieldSameJSType           = rule("FIELD_SAME_JSTYPE", filePkg, "fields keep their jstype option")
	FieldSameUTF8Validation   = rule("FIELD_SAME_UTF8_VALIDATION", filePkg, "string fields keep their UTF-8 validation (syntax or the utf8_validation feature)")
	FieldSameJavaUTF8         = rule("FIELD_SAME_JAVA_UTF8_VALIDATION", filePkg, "string fields keep their Java UTF-8 validation (java_string_check_utf8, syntax, features)")
	MessageSameJSONFormat     = rule("MESSAGE_SAME_JSON_FORMAT", fpJSON, "messages keep JSON support (json_format ALLOW is not lowered to LEGACY_BEST_EFFORT)")
	EnumSameJSONFormat        = rule("ENUM_SAME_JSON_FORMAT", fpJSON, "enums keep JSON support (json_format ALLOW is not lowered to LEGACY_BEST_EFFORT)")
	FieldSameCType            = rule("FIELD_SAME_CPP_STRING_TYPE", filePkg, "fields keep their C++ string type (ctype option)")
	OneofNoDelete             = rule("ONEOF_NO_DELETE", filePkg, "oneofs are not deleted")

	MessageSameRequiredFields  = rule("MESSAGE_SAME_REQUIRED_FIELDS", all4, "messages keep the same required fields")
	MessageSameMessageSet      = rule("MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT", all4, "messages keep their message_set_wire_format option")
	MessageNoRemoveStdAccessor = rule("MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR", filePkg, "messages do not turn on no_standard_descriptor_accessor")
	ReservedMessageNoDelete    = rule("RESERVED_MESSAGE_NO_DELETE", all4, "reserved ranges and names are not deleted from messages")
	ExtensionMessageNoDelete   = rule("EXTENSION_MESSAGE_NO_DELETE", filePkg, "extension ranges are not deleted from messages")

	EnumValueNoDelete             = rule("ENUM_VALUE_NO_DELETE", filePkg, "enum values are not deleted")
	EnumValueNoDeleteUnlessNumber = rule("ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED", wireBoth, "enum values are not deleted unless their number is reserved")
	EnumValueNoDeleteUnlessName   = rule("ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED", []string{CatWireJSON}, "enum values are not deleted unless their name is reserved")
	EnumValueSameName             = rule("ENUM_VALUE_SAME_NAME", fpJSON, "enum values keep their name")
	EnumSameType                  = rule("ENUM_SAME_TYPE", filePkg, "enums stay open or closed")
	ReservedEnumNoDelete          = rule("RESERVED_ENUM_NO_DELETE", all4, "reserved ranges and names are not deleted from enums")

	RPCNoDelete             = rule("RPC_NO_DELETE", filePkg, "RPCs are not deleted from services")
	RPCSameRequestType      = rule("RPC_SAME_REQUEST_TYPE", all4, "RPCs keep their request type")
	RPCSameResponseType     = rule("RPC_SAME_RESPONSE_TYPE", all4, "RPCs keep their response type")
	RPCSameClientStreaming  = rule("RPC_SAME_CLIENT_STREAMING", all4, "RPCs keep client streaming")
	RPCSameServerStreaming  = rule("RPC_SAME_SERVER_STREAMING", all4, "RPCs keep server streaming")
	RPCSameIdempotencyLevel = rule("RPC_SAME_IDEMPOTENCY_LEVEL", all4, "RPCs keep their idempotency level")

	FileAdded      = added("FILE_ADDED", "a file was added")
	MessageAdded   = added("MESSAGE_ADDED", "a message was added")
	EnumAdded      = added("ENUM_ADDED", "an enum was added")
	ServiceAdded   = added("SERVICE_ADDED", "a service was added")
	FieldAdded     = added("FIELD_ADDED", "a field was added")
	EnumValueAdded = added("ENUM_VALUE_ADDED", "an enum value was added")
	RPCAdded       = added("RPC_ADDED", "an RPC was added")
)

// fileOption is a file option whose change changes generated code; each
// has its own FILE_SAME_<OPTION> rule in the FILE and PACKAGE categories.
type fileOption struct {
	rule   compat.Rule
	field  string // FileOptions field name
	number int32  // FileOptions field number, for the source location
}

var fileOptions = []fileOption{
	{rule("FILE_SAME_GO_PACKAGE", filePkg, "files keep their go_package option"), "go_package", 11},
	{rule("FILE_SAME_JAVA_PACKAGE", filePkg, "files keep their java_package option"), "java_package", 1},
	{rule("FILE_SAME_JAVA_OUTER_CLASSNAME", filePkg, "files keep their java_outer_classname option"), "java_outer_classname", 8},
	{rule("FILE_SAME_JAVA_MULTIPLE_FILES", filePkg, "files keep their java_multiple_files option"), "java_multiple_files", 10},
	{rule("FILE_SAME_JAVA_GENERIC_SERVICES", filePkg, "files keep their java_generic_services option"), "java_generic_services", 17},
	{rule("FILE_SAME_CC_GENERIC_SERVICES", filePkg, "files keep their cc_generic_services option"), "cc_generic_services", 16},
	{rule("FILE_SAME_PY_GENERIC_SERVICES", filePkg, "files keep their py_generic_services option"), "py_generic_services", 18},
	{rule("FILE_SAME_CC_ENABLE_ARENAS", filePkg, "files keep their cc_enable_arenas option"), "cc_enable_arenas", 31},
	{rule("FILE_SAME_OPTIMIZE_FOR", filePkg, "files keep their optimize_for option"), "optimize_for", 9},
	{rule("FILE_SAME_OBJC_CLASS_PREFIX", filePkg, "files keep their objc_class_prefix option"), "objc_class_prefix", 36},
	{rule("FILE_SAME_CSHARP_NAMESPACE", filePkg, "files keep their csharp_namespace option"), "csharp_namespace", 37},
	{rule("FILE_SAME_SWIFT_PREFIX", filePkg, "files keep their swift_prefix option"), "swift_prefix", 39},
	{rule("FILE_SAME_PHP_CLASS_PREFIX", filePkg, "files keep their php_class_prefix option"), "php_class_prefix", 40},
	{rule("FILE_SAME_PHP_NAMESPACE", filePkg, "files keep their php_namespace option"), "php_namespace", 41},
	{rule("FILE_SAME_PHP_METADATA_NAMESPACE", filePkg, "files keep their php_metadata_namespace option"), "php_metadata_namespace", 44},
	{rule("FILE_SAME_RUBY_PACKAGE", filePkg, "files keep their ruby_package option"), "ruby_package", 45},
}

// Rules lists every rule, for documentation and validation of config files.
func Rules() []compat.Rule {
	rs := []compat.Rule{
		FileNoDelete, FileSamePackage, FileSameSyntax, PackageNoDelete, MessageNoDelete, EnumNoDelete,
		ServiceNoDelete, ExtensionNoDelete, PackageMessageNoDel, PackageEnumNoDel, PackageServiceNoDel,
		PackageExtNoDel, FieldNoDelete, FieldNoDeleteUnlessNumber, FieldNoDeleteUnlessName, FieldSameName,
		FieldSameJSONName, FieldSameType, FieldWireJSONCompatType, FieldWireCompatType, FieldSameCardinality,
		FieldWireJSONCompatCard, FieldWireCompatCard, FieldSameOneof, FieldSameDefault, FieldSameJSType,
		FieldSameCType, FieldSameUTF8Validation, FieldSameJavaUTF8, MessageSameJSONFormat, EnumSameJSONFormat, OneofNoDelete, MessageSameRequiredFields, MessageSameMessageSet,
		MessageNoRemoveStdAccessor, ReservedMessageNoDelete, ExtensionMessageNoDelete, EnumValueNoDelete,
		EnumValueNoDeleteUnlessNumber, EnumValueNoDeleteUnlessName, EnumValueSameName, EnumSameType,
		ReservedEnumNoDelete, RPCNoDelete, RPCSameRequestType, RPCSameResponseType, RPCSameClientStreaming,
		RPCSameServerStreaming, RPCSameIdempotencyLevel,
	}
	for _, o := range fileOptions {
		rs = append(rs, o.rule)
	}
	return append(rs, FileAdded, MessageAdded, EnumAdded, ServiceAdded, FieldAdded, EnumValueAdded, RPCAdded)
}

// ParseCategory normalizes a --category value (file, package, wire_json,
// wire, any case, - or _) to buf's spelling.
func ParseCategory(s string) (string, bool) {
	c := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	switch c {
	case "":
		return CatFile, true
	case CatFile, CatPackage, CatWireJSON, CatWire:
		return c, true
	}
	return "", false
}

/** Diagnostic codes of the readers: IOT10xx DSL, IOT11xx YAML. */
import { defineCodes } from '../diag/diagnostic';

export const DSL = defineCodes({
  UNEXPECTED_CHAR: { code: 'IOT1001', severity: 'error', title: 'unexpected character' },
  UNTERMINATED_STRING: { code: 'IOT1002', severity: 'error', title: 'unterminated string' },
  UNTERMINATED_COMMENT: { code: 'IOT1003', severity: 'error', title: 'unterminated block comment' },
  BAD_NUMBER: { code: 'IOT1004', severity: 'error', title: 'invalid number literal' },
  BAD_ESCAPE: { code: 'IOT1005', severity: 'error', title: 'invalid escape or control character in string' },
  EXPECTED_TOKEN: { code: 'IOT1006', severity: 'error', title: 'syntax error: a token is missing' },
  UNEXPECTED_TOKEN: { code: 'IOT1007', severity: 'error', title: 'syntax error: unexpected token' },
  NO_MACHINE: { code: 'IOT1008', severity: 'error', title: 'no machine block' },
  NOT_MACHINE: { code: 'IOT1009', severity: 'error', title: 'top-level item is not a machine block' },
  TWO_MACHINES: { code: 'IOT1010', severity: 'error', title: 'more than one machine block' },
  BAD_HEADER: { code: 'IOT1011', severity: 'error', title: 'malformed block header' },
  TOO_DEEP: { code: 'IOT1012', severity: 'error', title: 'blocks or lists nested too deeply' },
  NUMBER_TOO_BIG: { code: 'IOT1013', severity: 'error', title: 'number does not fit in 64 bits' },
  BAD_RANGE: { code: 'IOT1014', severity: 'error', title: 'range with lo > hi' },
});

export const YAML_CODES = defineCodes({
  SYNTAX: { code: 'IOT1101', severity: 'error', title: 'YAML syntax error' },
  DUPLICATE_KEY: { code: 'IOT1102', severity: 'error', title: 'duplicate key' },
  ALIASES: { code: 'IOT1103', severity: 'error', title: 'too many alias expansions or bad alias' },
  EMPTY: { code: 'IOT1104', severity: 'error', title: 'empty YAML document' },
  MULTI_DOC: { code: 'IOT1105', severity: 'error', title: 'more than one YAML document' },
  REQUIRED: { code: 'IOT1106', severity: 'error', title: 'schema: missing required key' },
  UNKNOWN_KEY: { code: 'IOT1107', severity: 'error', title: 'schema: unknown key' },
  TYPE: { code: 'IOT1108', severity: 'error', title: 'schema: wrong type' },
  NOT_ALLOWED: { code: 'IOT1109', severity: 'error', title: 'schema: value not allowed' },
  RANGE: { code: 'IOT1110', severity: 'error', title: 'schema: value out of range' },
  SCHEMA_OTHER: { code: 'IOT1111', severity: 'error', title: 'schema: invalid value' },
  BAD_TAG: { code: 'IOT1112', severity: 'error', title: 'unsupported YAML tag or value' },
  WARNING: { code: 'IOT1113', severity: 'warning', title: 'YAML warning' },
  NOT_A_MAP: { code: 'IOT1114', severity: 'error', title: 'top level of the YAML file is not a map' },
  TOO_DEEP: { code: 'IOT1115', severity: 'error', title: 'YAML nested too deeply' },
  TOO_MANY_NODES: { code: 'IOT1116', severity: 'error', title: 'YAML document holds more values than the limit' },
});

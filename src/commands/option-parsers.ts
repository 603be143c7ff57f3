// Parsers for option values: a bad value is a usage error that commander reports in one line.
import { InvalidArgumentError } from 'commander';

export const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number >= 1');
  return n;
};

export const tcpPort = (value: string) => {
  const n = positiveInt(value);
  if (n > 65535) throw new InvalidArgumentError('must be a TCP port, 1 to 65535');
  return n;
};

export const parseUserData = (value: string) => {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be a JSON object');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidArgumentError('must be a JSON object');
  return v as Record<string, unknown>;
};

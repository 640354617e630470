import { isBase64 } from './base64';

describe('isBase64', () => {
  it.each(['', 'YQ==', 'YWI=', 'YWJj', 'YQ', 'Pz8_', 'Pz8/', '+/+/'])('accepts %j', (text) => {
    expect(isBase64(text)).toBe(true);
  });

  it.each(['Y', 'YQ=', 'a b', 'YQ==YQ==', '!!!!', 'Pz8_+w==', 'YWJj===='])('refuses %j', (text) => {
    expect(isBase64(text)).toBe(false);
  });
});

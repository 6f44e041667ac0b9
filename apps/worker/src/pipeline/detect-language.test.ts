import { describe, expect, it } from 'vitest';
import { detectLanguage } from './detect-language.js';

describe('detectLanguage', () => {
  it.each([
    ['en', 'Outlook keeps asking for my password after the mailbox moved. It does not accept it.'],
    [
      'de',
      'Outlook fragt seit der Umstellung immer wieder nach dem Passwort und die Anmeldung geht nicht. Bitte um Hilfe.',
    ],
    [
      'fr',
      "Depuis ce matin je ne peux pas imprimer, l'imprimante du deuxième étage ne fonctionne plus. Merci.",
    ],
    ['es', 'No puedo acceder a mi correo desde el lunes, la contraseña no funciona y el portal da un error.'],
    ['it', 'Non riesco ad accedere alla VPN da casa, il client dice che la password non è corretta. Grazie.'],
    ['nl', 'Ik kan sinds vanochtend niet inloggen op de VPN, het wachtwoord werkt niet meer. Graag hulp.'],
    ['pt', 'Não consigo acessar o e-mail desde ontem, a senha não funciona e o Outlook fecha sozinho.'],
  ])('%s', (language, text) => {
    expect(detectLanguage(text)).toBe(language);
  });

  it('answers English when the text is too short or has no function words', () => {
    expect(detectLanguage('VPN')).toBe('en');
    expect(detectLanguage('SAP GUI 7.70 Fehler 0x80070005')).toBe('en');
    expect(detectLanguage('')).toBe('en');
  });
});

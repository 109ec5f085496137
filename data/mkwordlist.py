#!/usr/bin/env python3
# mkwordlist.py - build data/wordlist.txt for the password policy.
#
# Usage (Debian 12, apt-get install wamerican wfrench):
#   python3 data/mkwordlist.py data/weak-passwords.txt > data/wordlist.txt
#
# Words of Debian's wamerican and wfrench lists
# (4 to 8 ASCII letters after removing accents and apostrophes, without
# plurals and French verb inflections whose infinitive is listed), plus
# the hand-written list of classic weak passwords; lower-case, sorted.
import unicodedata, re, sys
def norm(w):
    w = unicodedata.normalize('NFKD', w)
    w = ''.join(c for c in w if not unicodedata.combining(c))
    w = w.replace("'", "").replace("\u2019", "").lower()
    return w.replace('\u0153', 'oe').replace('\u00e6', 'ae')
def load(f):
    ws = set()
    for line in open('/usr/share/dict/' + f, encoding='utf-8'):
        line = line.strip()
        if not line or line[0].isupper() or line.endswith("'s"):
            continue
        w = norm(line)
        if re.fullmatch('[a-z]{4,}', w):
            ws.add(w)
    return ws
en = load('american-english')
fr = load('french')
en2 = {w for w in en if len(w) <= 8 and not (w.endswith('s') and w[:-1] in en)}
ER = ['ent','a','as','ai','at','ames','ates','erent','ait','ais','aient','ant',
      'era','eras','erai','eront','erons','erez','erait','erais','eraient',
      'erions','eriez','asse','asses','assent','assions','assiez','ions','iez','ons','ez']
IR = ['issons','issez','issent','issais','issait','issaient','issant','ira',
      'iras','irai','iront','irons','irez','irait','irais','iraient','issions','issiez','irent','isse','isses','imes','ites']
def conjugated(w):
    for s in ER:
        if w.endswith(s) and len(w) > len(s) and w[:-len(s)] + 'er' in fr and w != w[:-len(s)] + 'er':
            return True
    for s in IR:
        if w.endswith(s) and len(w) > len(s) and w[:-len(s)] + 'ir' in fr and w != w[:-len(s)] + 'ir':
            return True
    return False
fr2 = {w for w in fr if len(w) <= 8 and not conjugated(w)
       and not (w.endswith('s') and w[:-1] in fr)
       and not (w.endswith('x') and w[:-1] in fr)}
weak = {l.strip() for l in open(sys.argv[1]) if l.strip() and not l.startswith('#')}
allw = sorted(en2 | fr2 | weak)
sys.stderr.write('en %d fr %d weak %d total %d\n' % (len(en2), len(fr2), len(weak), len(allw)))
sys.stdout.write(''.join(w + '\n' for w in allw))

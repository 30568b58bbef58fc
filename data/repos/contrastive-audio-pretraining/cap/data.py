import os
import random
import torch
import torchaudio

MEL = torchaudio.transforms.MelSpectrogram(sample_rate=16000, n_mels=64)


def mask(spec, ratio):
    # TODO: try time and frequency masks separately
    spec = spec.clone()
    t = spec.shape[-1]
    n = int(t * ratio)
    s = random.randint(0, t - n)
    spec[..., s:s + n] = 0
    return spec


class Clips(torch.utils.data.Dataset):
    def __init__(self, root, mask_ratio=0.4):
        self.files = [os.path.join(root, f) for f in sorted(os.listdir(root)) if f.endswith(".wav")]
        self.mask_ratio = mask_ratio

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        wav, sr = torchaudio.load(self.files[i])
        wav = torchaudio.functional.resample(wav, sr, 16000).mean(0, keepdim=True)
        spec = MEL(wav).log1p()
        return mask(spec, self.mask_ratio), mask(spec, self.mask_ratio)
